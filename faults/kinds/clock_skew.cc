// clock_skew: the nodes' clocks jump by `offset` and drift by `drift_ppm` while active
// (docs/faults.md "Node faults"). It ends no connection itself.
#include "faults/fault.h"

namespace ts::sim {
namespace {

constexpr std::string_view kParams[] = {"offset", "drift_ppm"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  if (!r.has("offset") && !r.has("drift_ppm"))
    return r.error_at("", r.what() + ": needs 'offset' and/or 'drift_ppm'");
  if (r.has("offset")) {
    auto d = r.signed_duration("offset");
    if (!d) return d.error();
    f.clock_offset_ns = *d;
  }
  if (r.has("drift_ppm")) {
    auto v = r.i64("drift_ppm");
    if (!v) return v.error();
    f.drift_ppm = *v;
    if (f.drift_ppm < -1'000'000 || f.drift_ppm > 1'000'000)
      return r.error_at("drift_ppm", "'drift_ppm' must be within +-1000000");
  }
  return true;
}

std::string describe(const Fault& f) {
  return "offset " + describe_ms(f.clock_offset_ns) + ", drift " + std::to_string(f.drift_ppm) +
         " ppm";
}

std::string yaml(const Fault& f) {
  return ", offset: " + yaml_signed_ns(f.clock_offset_ns) +
         ", drift_ppm: " + std::to_string(f.drift_ppm);
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_node(f, rng, n);
  f.clock_offset_ns = rng.uniform(-seconds(120), seconds(120));
  f.end_ns = kNever;
}

void start(const Fault& f, std::uint32_t index, FaultEngine& e) {
  for (auto n : f.nodes)
    e.set_clock(n, f, index);
}

void end(const Fault& f, std::uint32_t index, FaultEngine& e) {
  for (auto n : f.nodes)
    e.clear_clock(n, index);
}

}  // namespace

extern const FaultKindInfo kind_clock_skew{
    .name = "clock_skew",
    .order = 14,
    .targets = Targets::kNodes,
    .params = kParams,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = start,
    .end = end,
};

}  // namespace ts::sim
