// refuse: the nodes' P2P port is closed while active; SYNs are answered with RST
// (docs/faults.md "Node faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kConnectRefused};

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_node(f, rng, n);
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  for (auto n : f.nodes)
    e.refuse(n, +1);
}

void end(const Fault& f, std::uint32_t, FaultEngine& e) {
  for (auto n : f.nodes)
    e.refuse(n, -1);
}

}  // namespace

extern const FaultKindInfo kind_refuse{
    .name = "refuse",
    .order = 11,
    .targets = Targets::kNodes,
    .can_end = kEnds,
    .draw = draw,
    .start = start,
    .end = end,
};

}  // namespace ts::sim
