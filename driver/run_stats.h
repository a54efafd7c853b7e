// RunStats: what one run of either engine (sim::World, live::LiveWorld) counted, returned by
// its run().
#pragma once

#include <cstdint>

#include "common/time.h"

namespace ts::sim {

struct RunStats {
  std::uint64_t events = 0;
  std::uint64_t connections = 0;
  std::uint64_t bytes = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t faults = 0;
  // Rolling hash of every dispatched event's (time, kind, operands): equal fingerprints mean
  // the same event trace (OMNeT++-style fingerprint for determinism regressions). Sim only.
  std::uint64_t fingerprint = 0;
  SimTime end_ns = 0;
  bool interrupted = false;
};

}  // namespace ts::sim
