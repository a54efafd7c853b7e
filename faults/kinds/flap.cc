// flap: the matching links go down and up with a period. From `at`, every `period` starts
// with a down phase of `down`, during which the directions are blocked as by a partition
// (bytes stall and arrive after the phase; SYNs are lost), then the links are up for the
// rest of the period; `for`/`until` end it (a down phase is cut short by the end).
// docs/faults.md "Link faults".
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kPongTimeout, CloseReason::kConnectTimeout,
                                 CloseReason::kKeepaliveTimeout};
constexpr std::string_view kParams[] = {"period", "down"};

// The kind's slots in Fault::kind_params.
Duration period_of(const Fault& f) {
  return f.kind_params[0];
}
Duration down_of(const Fault& f) {
  return f.kind_params[1];
}

Result<bool> parse(const ParamReader& r, Fault& f) {
  auto period = r.duration("period", false);
  if (!period) return period.error();
  auto down = r.duration("down", false);
  if (!down) return down.error();
  if (*down >= *period)
    return r.error_at("down", r.what() + ": 'down' must be shorter than 'period'");
  f.kind_params[0] = *period;
  f.kind_params[1] = *down;
  return true;
}

std::string describe(const Fault& f) {
  return "period " + describe_ms(period_of(f)) + ", down " + describe_ms(down_of(f));
}

std::string yaml(const Fault& f) {
  return ", period: " + yaml_ns(period_of(f)) + ", down: " + yaml_ns(down_of(f));
}

// Chaos (only when `kinds:` lists flap): a random link, a period of 1 to 10 min, down for
// 10 to 90 % of it.
void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
  f.kind_params[0] = rng.uniform(kMinute, 10 * kMinute);
  f.kind_params[1] = rng.uniform(f.kind_params[0] / 10, f.kind_params[0] * 9 / 10);
}

// The start of the down phase after the one at or before `now`, if before the end.
void next_phase(const Fault& f, std::uint32_t index, FaultEngine& e) {
  const SimTime k = (e.now() - f.start_ns) / period_of(f);
  const SimTime next = f.start_ns + (k + 1) * period_of(f);
  if (next < f.end_ns) e.schedule_phase(next, index);
}

void start(const Fault& f, std::uint32_t index, FaultEngine& e) {
  e.activate_link_fault(index);
  e.arm_keepalives();
  next_phase(f, index, e);
}

void phase(const Fault& f, std::uint32_t index, FaultEngine& e) {  // a down phase begins
  e.arm_keepalives();
  next_phase(f, index, e);
}

void end(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.deactivate_link_fault(index);
}

SimTime blocked_until(const Fault& f, SimTime now) {
  if (now < f.start_ns) return 0;
  const SimTime phase_start = f.start_ns + (now - f.start_ns) / period_of(f) * period_of(f);
  const SimTime up_at = std::min(phase_start + down_of(f), f.end_ns);
  return now < up_at ? up_at : 0;
}

}  // namespace

extern const FaultKindInfo kind_flap{
    .name = "flap",
    .order = 16,
    .link_effect = LinkEffect::kBlock,
    .params = kParams,
    .can_end = kEnds,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = start,
    .end = end,
    .phase = phase,
    .blocked_until = blocked_until,
};

}  // namespace ts::sim
