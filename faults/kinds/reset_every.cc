// reset_every: a middlebox on the path (a NAT, a load balancer, an ISP's flow limit) that
// kills long-lived connections on a schedule. At `at` and then every `period` until the
// fault ends (`for`/`until`; it holds to the run's end without), an RST from the path ends
// the matching open connections, or a `fraction` of them drawn from the seed, as `reset`
// does once. docs/faults.md "Link faults".
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kReset};
constexpr std::string_view kParams[] = {"period", "fraction"};

// The kind's slot in Fault::kind_params; the fraction is Fault::fraction, which the
// engines' reset_connections() reads.
Duration period_of(const Fault& f) {
  return f.kind_params[0];
}

Result<bool> parse(const ParamReader& r, Fault& f) {
  auto period = r.duration("period", false);
  if (!period) return period.error();
  if (*period < kSecond) return r.error_at("period", r.what() + ": 'period' must be at least 1s");
  f.kind_params[0] = *period;
  return read_fraction(r, f);
}

std::string describe(const Fault& f) {
  return "every " + describe_ms(period_of(f)) + ", fraction " + yaml_ratio(f.fraction);
}

std::string yaml(const Fault& f) {
  return ", period: " + yaml_ns(period_of(f)) + ", fraction: " + yaml_ratio(f.fraction);
}

// Chaos (only when `kinds:` lists reset_every): a random link, every 30 s to 5 min.
void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
  f.kind_params[0] = rng.uniform(seconds(30), 5 * kMinute);
}

// Resets now, and asks for the next reset if it comes before the end.
void reset_and_rearm(const Fault& f, std::uint32_t index, FaultEngine& e) {
  e.reset_connections(f);
  const SimTime next = e.now() + period_of(f);
  if (next < f.end_ns) e.schedule_phase(next, index);
}

}  // namespace

extern const FaultKindInfo kind_reset_every{
    .name = "reset_every",
    .order = 17,
    .end_event = false,  // nothing to undo: the last reset is the last phase before the end
    .live = true,
    .params = kParams,
    .can_end = kEnds,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = reset_and_rearm,
    .phase = reset_and_rearm,
};

}  // namespace ts::sim
