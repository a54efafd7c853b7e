// A scheduled simulation event: a 32-byte POD. `kind` selects the handler; a, b, c are
// kind-specific operands (see World::dispatch for each kind's meaning). No payload is
// owned by an event: bytes in flight live in the World's payload pool, indexed by c.
#pragma once

#include <cstdint>

#include "common/time.h"

namespace ts::sim {

enum class EventKind : std::uint8_t {
  kNodeStart,       // a = node
  kTimer,           // a = node, b = TimerKind, c = slot
  kSynArrive,       // a = conn slot, b = conn serial: SYN reaches the listener
  kSynAckArrive,    // a, b: SYN-ACK reaches the dialer (dialer connected)
  kAckArrive,       // a, b: the handshake's ACK reaches the listener (accepted)
  kRefusedArrive,   // a, b: RST answering the SYN reaches the dialer
  kConnectTimeout,  // a, b: the dialer's connect timeout
  kDeliver,         // a, b, c = segment index, d = direction (0 dialer->listener):
                    // data, the handshake's final ACK, or FIN, in stream order
  kRstArrive,       // a, b, d = direction: an RST reaches the receiving side
  kFaultStart,      // a = fault index
  kFaultEnd,        // a = fault index
  kRestart,         // a = node, b = fault index: the node's process starts again
};

struct Event {
  SimTime at;
  std::uint64_t seq;  // insertion order: ties at equal `at` run FIFO
  std::uint32_t a;
  std::uint32_t b;
  std::uint32_t c;
  EventKind kind;
  std::uint8_t d;
};
static_assert(sizeof(Event) == 32, "events stay small PODs");

}  // namespace ts::sim
