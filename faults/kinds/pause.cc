// pause: the processes are frozen (no timers or reads) until the fault ends; bytes queue up
// (docs/faults.md "Node faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kPongTimeout, CloseReason::kConnectTimeout};

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_node(f, rng, n);
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  for (auto n : f.nodes)
    e.pause(n, f.end_ns);
}

void end(const Fault&, std::uint32_t, FaultEngine&) {}  // ends by itself (frozen until end_ns)

}  // namespace

extern const FaultKindInfo kind_pause{
    .name = "pause",
    .order = 13,
    .targets = Targets::kNodes,
    .can_end = kEnds,
    .draw = draw,
    .start = start,
    .end = end,
};

}  // namespace ts::sim
