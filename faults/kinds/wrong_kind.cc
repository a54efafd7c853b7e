// wrong_kind (one-shot): a valid message the receiver does not expect there (a second Handshake),
// written into every open connection's matching directions, in order with the stream
// (docs/faults.md "Byzantine bytes").
#include "faults/fault.h"
#include "node_core/codec.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kInvalidMessage, CloseReason::kLineTooLong,
                                 CloseReason::kOldProtocol, CloseReason::kInvalidUtf8};

std::string bytes(const Fault&, Prng&) {
  return node::encode(node::Handshake{node::kMagic, node::kProtocolVersion, "testnet"});
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  e.inject(f, bytes);
}

}  // namespace

extern const FaultKindInfo kind_wrong_kind{
    .name = "wrong_kind",
    .order = 10,
    .one_shot = true,
    .end_event = false,
    .can_end = kEnds,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
