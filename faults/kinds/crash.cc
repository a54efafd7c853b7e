// crash: the host goes down (no FIN, packets dropped); with `restart_after` the node
// restarts with fresh state, else it stays down (docs/faults.md "Node faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kConnectTimeout, CloseReason::kReset,
                                 CloseReason::kKeepaliveTimeout};
constexpr std::string_view kParams[] = {"restart_after"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  if (r.has("restart_after")) {
    auto d = r.duration("restart_after", false);
    if (!d) return d.error();
    f.restart_after_ns = *d;
    f.end_ns = f.start_ns + *d;
  }
  if (r.has("for") || r.has("until"))
    return r.error_at("", r.what() + ": use 'restart_after' (or nothing: stays down)");
  return true;
}

std::string describe(const Fault& f) {
  return f.restart_after_ns < 0 ? "no restart" : "restart after " + describe_ms(f.restart_after_ns);
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration d) {
  draw_chaos_node(f, rng, n);
  f.restart_after_ns = d;
  f.end_ns = f.start_ns + d;
}

void start(const Fault& f, std::uint32_t index, FaultEngine& e) {
  for (auto n : f.nodes)
    e.crash(n, f, index);
  e.arm_keepalives();
}

}  // namespace

// Its end is the restart, which the engine's crash() schedules: no end event.
extern const FaultKindInfo kind_crash{
    .name = "crash",
    .order = 12,
    .targets = Targets::kNodes,
    .end_event = false,
    .length_is_restart = true,
    .restart_event = "restart",
    .params = kParams,
    .can_end = kEnds,
    .parse = parse,
    .describe = describe,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
