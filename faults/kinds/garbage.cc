// garbage (one-shot): a line of 32 random bytes (never a newline) written into every open
// connection's matching directions, in order with the stream (docs/faults.md "Byzantine bytes").
#include "faults/fault.h"
#include "node_core/codec.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kInvalidMessage, CloseReason::kLineTooLong,
                                 CloseReason::kOldProtocol, CloseReason::kInvalidUtf8};

std::string bytes(const Fault&, Prng& rng) {
  std::string b;
  for (int k = 0; k < 32; ++k) {
    char ch = static_cast<char>(rng.below(256));
    if (ch == '\n') ch = '\x7f';
    b.push_back(ch);
  }
  b.push_back('\n');
  return b;
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  e.inject(f, bytes);
}

}  // namespace

extern const FaultKindInfo kind_garbage{
    .name = "garbage",
    .order = 7,
    .one_shot = true,
    .end_event = false,
    .can_end = kEnds,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
