// corrupt (one-shot): a Ping line with three bytes flipped in flight (high bit set) written into
// every open connection's matching directions, in order with the stream (docs/faults.md "Byzantine
// bytes").
#include "faults/fault.h"
#include "node_core/codec.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kInvalidMessage, CloseReason::kLineTooLong,
                                 CloseReason::kOldProtocol, CloseReason::kInvalidUtf8};

std::string bytes(const Fault&, Prng& rng) {
  std::string b = node::encode(node::Ping{rng.next_u64(), 0});
  for (int k = 0; k < 3; ++k)
    b[1 + rng.below(b.size() - 2)] ^= static_cast<char>(0x80 | rng.below(128));
  return b;
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  e.inject(f, bytes);
}

}  // namespace

extern const FaultKindInfo kind_corrupt{
    .name = "corrupt",
    .order = 5,
    .one_shot = true,
    .end_event = false,
    .can_end = kEnds,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
