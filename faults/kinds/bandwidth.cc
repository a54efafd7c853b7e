// bandwidth: segments are serialised at `bps` bit/s and queue per connection direction
// (docs/faults.md "Link faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kPongTimeout, CloseReason::kConnectTimeout};
constexpr std::string_view kParams[] = {"bps"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  auto b = r.u64("bps");
  if (!b) return b.error();
  if (*b < 8 || *b > 1'000'000'000'000ULL)
    return r.error_at("bps", "'bps' must be in [8, 1e12] bit/s");
  f.bandwidth_bps = static_cast<std::int64_t>(*b);
  return true;
}

std::string describe(const Fault& f) {
  return std::to_string(f.bandwidth_bps) + " bit/s";
}

std::string yaml(const Fault& f) {
  return ", bps: " + std::to_string(f.bandwidth_bps);
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
  f.bandwidth_bps = rng.uniform(8000, 64000);
}

void start(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.activate_link_fault(index);
}

void end(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.deactivate_link_fault(index);
}

}  // namespace

extern const FaultKindInfo kind_bandwidth{
    .name = "bandwidth",
    .order = 3,
    .link_effect = LinkEffect::kBandwidth,
    .params = kParams,
    .can_end = kEnds,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = start,
    .end = end,
};

}  // namespace ts::sim
