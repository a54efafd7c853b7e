// Child-seed stream ids (Prng::derive(parent, id) / mix_seed(parent, id)), in one place: two
// subsystems that shared an id would draw correlated numbers without any error, and fixed
// values mean adding a subsystem never shifts another's randomness (recorded fingerprints
// stay valid). Add a stream here, with a new value, and to kAllStreams.
#pragma once

#include <array>
#include <cstdint>

namespace ts {

enum class Stream : std::uint64_t {
  // Children of the run's seed.
  kLinks = 1,         // per-connection latency and loss draws (sim and live)
  kNodes = 2,         // each node process's own seed (nonces, jitter)
  kChaos = 3,         // the chaos fault draw
  kFaults = 4,        // draws made while faults run
  kTopology = 5,      // random topologies
  kTransactions = 8,  // client transactions (consensus)
  // Child of a node process's own seed: its HashMap order key (masternode registry).
  kRegistryOrder = 0x7265676973747279ull,  // "registry"
};

inline constexpr std::uint64_t stream_id(Stream s) {
  return static_cast<std::uint64_t>(s);
}

inline constexpr std::array kAllStreams = {
    Stream::kLinks,    Stream::kNodes,        Stream::kChaos,        Stream::kFaults,
    Stream::kTopology, Stream::kTransactions, Stream::kRegistryOrder};

inline constexpr bool streams_are_distinct() {
  for (std::size_t i = 0; i < kAllStreams.size(); ++i)
    for (std::size_t j = i + 1; j < kAllStreams.size(); ++j)
      if (kAllStreams[i] == kAllStreams[j]) return false;
  return true;
}
static_assert(streams_are_distinct(), "two subsystems share a random stream id");

}  // namespace ts
