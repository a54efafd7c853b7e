// A scheduled simulation event: the shared 32-byte BasicEvent (driver/timed_event.h) over
// the simulator's kinds. `kind` selects the handler; a, b, c are kind-specific operands (see
// World::dispatch for each kind's meaning). No payload is owned by an event: bytes in flight
// live in the World's payload pool, indexed by c.
#pragma once

#include <cstdint>

#include "common/time.h"
#include "driver/timed_event.h"

namespace ts::sim {

enum class EventKind : std::uint8_t {
  kNodeStart,        // a = node
  kTimer,            // a = node, b = TimerKind, c = slot, d = the node's incarnation mod
                     // 256 (trace only: World drops an old process's timers by `seq`)
  kSynArrive,        // a = conn slot, b = conn serial: SYN reaches the listener
  kSynAckArrive,     // a, b: SYN-ACK reaches the dialer (dialer connected)
  kAckArrive,        // a, b: the handshake's ACK reaches the listener (accepted)
  kRefusedArrive,    // a, b: RST answering the SYN reaches the dialer
  kConnectTimeout,   // a, b: the dial fails unanswered, the profile's connect timeout or the
                     // kernel's SYN give-up (127 s); d as for kTimer
  kDeliver,          // a, b, c = segment index, d = direction (0 dialer->listener):
                     // data, the handshake's final ACK, or FIN, in stream order
  kRstArrive,        // a, b, d = direction: an RST reaches the receiving side
  kFaultStart,       // a = fault index
  kFaultEnd,         // a = fault index
  kRestart,          // a = node, b = fault index: the node's process starts again
  kSample,           // consensus samples of every running node's chain state
  kSubmitTx,         // consensus: a client submits a transaction to a random node
  kRetransmitAbort,  // a, b, c = loss fault index, d = direction: the sender's kernel gives
                     // up a segment after tcp_retries2 retransmissions (sim/retransmit.h)
  kSynRetransmit,    // a, b, c = transmission index (1..tcp_syn_retries): the dialer's
                     // kernel sends the SYN again (sim/linux_tcp.h)
  kKeepalive,        // a, b, c = unanswered probes so far: the listener's keepalive timer
  kWriteBlocked,     // a, b, c = 1 blocked / 0 accepted again, d = direction: the sender's
                     // socket (linux_tcp::kWriteBlockedBytes unread in flight)
};

using Event = BasicEvent<EventKind>;
static_assert(sizeof(Event) == 32, "events stay small PODs");

// Folds one dispatched event (time, kind and operands; not `seq`) into a running trace
// fingerprint. Cheap (three multiply-rotate rounds); not cryptographic.
inline std::uint64_t fingerprint_mix(std::uint64_t h, const Event& e) {
  constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ull;
  auto round = [](std::uint64_t acc, std::uint64_t word) {
    acc ^= word;
    acc *= kMul;
    return (acc << 29) | (acc >> 35);
  };
  h = round(h, static_cast<std::uint64_t>(e.at));
  h = round(h, static_cast<std::uint64_t>(e.kind) | (std::uint64_t{e.d} << 8) |
                   (std::uint64_t{e.a} << 32));
  return round(h, std::uint64_t{e.b} | (std::uint64_t{e.c} << 32));
}

}  // namespace ts::sim
