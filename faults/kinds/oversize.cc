// oversize (one-shot): one line of `size` bytes written into every open connection's matching
// directions, in order with the stream (docs/faults.md "Byzantine bytes").
#include "faults/fault.h"
#include "node_core/codec.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kInvalidMessage, CloseReason::kLineTooLong,
                                 CloseReason::kOldProtocol, CloseReason::kInvalidUtf8};
constexpr std::string_view kParams[] = {"size"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  auto b = r.u64("size");
  if (!b) return b.error();
  if (*b < 1 || *b > 64ULL * 1024 * 1024)
    return r.error_at("size", "'size' must be 1 to 67108864 bytes");
  f.size = static_cast<std::uint32_t>(*b);
  return true;
}

std::string describe(const Fault& f) {
  return std::to_string(f.size) + " bytes";
}

std::string yaml(const Fault& f) {
  return ", size: " + std::to_string(f.size);
}

std::string bytes(const Fault& f, Prng&) {
  std::string b(f.size, 'x');
  b.push_back('\n');
  return b;
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
  f.size = static_cast<std::uint32_t>(rng.uniform(1024, 65536));
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  e.inject(f, bytes);
}

}  // namespace

extern const FaultKindInfo kind_oversize{
    .name = "oversize",
    .order = 8,
    .one_shot = true,
    .end_event = false,
    .params = kParams,
    .can_end = kEnds,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
