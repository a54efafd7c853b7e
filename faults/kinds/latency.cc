// latency: a different latency model for the matching directions while active (a spike, a
// change, jitter); streams stay in order (docs/faults.md "Link faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kPongTimeout, CloseReason::kConnectTimeout};
constexpr std::string_view kParams[] = {"model", "value", "min", "max", "mean", "stddev"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  auto m = r.latency_model();
  if (!m) return m.error();
  f.latency = *m;
  return true;
}

std::string describe(const Fault& f) {
  return std::string(latency_kind_name(f.latency.kind)) + " typical " +
         describe_ms(f.latency.typical_ns());
}

std::string yaml(const Fault& f) {
  const LatencyModel& m = f.latency;
  std::string s = ", model: " + std::string(latency_kind_name(m.kind));
  switch (m.kind) {
    case LatencyKind::kFixed:
      return s + ", value: " + yaml_ns(m.value_ns);
    case LatencyKind::kUniform:
      return s + ", min: " + yaml_ns(m.min_ns) + ", max: " + yaml_ns(m.max_ns);
    case LatencyKind::kNormal:
      return s + ", mean: " + yaml_ns(m.value_ns) + ", stddev: " + yaml_ns(m.stddev_ns) +
             ", min: " + yaml_ns(m.min_ns);
  }
  return s;
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
  f.latency = LatencyModel::fixed(rng.uniform(millis(200), seconds(2)));
}

void start(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.activate_link_fault(index);
}

void end(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.deactivate_link_fault(index);
}

}  // namespace

extern const FaultKindInfo kind_latency{
    .name = "latency",
    .order = 1,
    .live = true,
    .link_effect = LinkEffect::kLatency,
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
