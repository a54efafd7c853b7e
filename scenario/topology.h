// Topology: which peers each node knows (its seed list). The dial rule then decides, for
// each known pair, which side dials.
//
//   full-mesh     every node knows every other node (the six-node incident).
//   random-k-out  each node picks k distinct random peers from the run's seed (its own
//                 stream); a pair is known to both sides if either picked the other. On
//                 average each node dials k peers, as the dial rule splits every pair.
//   line          node i knows nodes i-1 and i+1 (the scenario's order): the sparsest
//                 connected seed lists, where peer exchange shows (docs/fidelity.md).
#pragma once

#include <cstdint>
#include <vector>

namespace ts::sim {

struct TopologySpec {
  enum class Kind : std::uint8_t { kFullMesh, kRandomKOut, kLine };
  Kind kind = Kind::kFullMesh;
  std::uint32_t k = 8;
};

// An upper bound on the links (known pairs) build_topology makes for `n` nodes, computed
// without building anything: n(n-1)/2 for a full mesh, min(n k, n(n-1)/2) for random-k-out,
// n-1 for a line.
std::uint64_t link_bound(const TopologySpec& spec, std::uint64_t n);

// peers[i] = the nodes node i knows, sorted ascending. Deterministic in (spec, n, seed).
std::vector<std::vector<std::uint32_t>> build_topology(const TopologySpec& spec, std::uint32_t n,
                                                       std::uint64_t seed);

}  // namespace ts::sim
