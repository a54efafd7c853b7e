// truncate (one-shot): the first half of a Ping line and a newline, written into every open
// connection's matching directions, in order with the stream (docs/faults.md "Byzantine bytes").
#include "faults/fault.h"
#include "node_core/codec.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kInvalidMessage, CloseReason::kLineTooLong,
                                 CloseReason::kOldProtocol, CloseReason::kInvalidUtf8};

std::string bytes(const Fault&, Prng& rng) {
  const std::string full = node::encode(node::Ping{rng.next_u64(), 0});
  return full.substr(0, full.size() / 2) + "\n";
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  e.inject(f, bytes);
}

}  // namespace

extern const FaultKindInfo kind_truncate{
    .name = "truncate",
    .order = 6,
    .one_shot = true,
    .end_event = false,
    .can_end = kEnds,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
