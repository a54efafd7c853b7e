// BasicEvent: one scheduled event of an engine, a 32-byte POD. `Kind` is the engine's own
// one-byte enum (sim::EventKind, live::LiveWorld's Ev) and selects the handler; a, b, c, d
// are kind-specific operands. No payload is owned by an event.
#pragma once

#include <cstdint>

#include "common/time.h"

namespace ts::sim {

template <class Kind>
struct BasicEvent {
  static_assert(sizeof(Kind) == 1, "event kinds are one byte");
  SimTime at;
  std::uint64_t seq;  // insertion order: ties at equal `at` run FIFO
  std::uint32_t a;
  std::uint32_t b;
  std::uint32_t c;
  Kind kind;
  std::uint8_t d;
};

}  // namespace ts::sim
