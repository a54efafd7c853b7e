#include "scenario/topology.h"

#include <algorithm>

#include "common/prng.h"
#include "common/streams.h"

namespace ts::sim {

std::uint64_t link_bound(const TopologySpec& spec, std::uint64_t n) {
  // n(n-1)/2, halving the even factor first: exact for every n up to 2^32
  const std::uint64_t mesh = n < 2 ? 0 : n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
  if (spec.kind == TopologySpec::Kind::kFullMesh) return mesh;
  if (spec.kind == TopologySpec::Kind::kLine) return n < 2 ? 0 : n - 1;
  return std::min<std::uint64_t>(mesh, n * spec.k);
}

std::vector<std::vector<std::uint32_t>> build_topology(const TopologySpec& spec, std::uint32_t n,
                                                       std::uint64_t seed) {
  std::vector<std::vector<std::uint32_t>> peers(n);
  if (spec.kind == TopologySpec::Kind::kFullMesh) {
    for (std::uint32_t i = 0; i < n; ++i) {
      peers[i].reserve(n - 1);
      for (std::uint32_t j = 0; j < n; ++j)
        if (j != i) peers[i].push_back(j);
    }
    return peers;
  }
  if (spec.kind == TopologySpec::Kind::kLine) {
    for (std::uint32_t i = 0; i + 1 < n; ++i) {
      peers[i].push_back(i + 1);
      peers[i + 1].push_back(i);
    }
    return peers;  // each sorted: i-1 was pushed before i+1
  }
  Prng rng = Prng::derive(seed, stream_id(Stream::kTopology));
  const std::uint32_t k = std::min<std::uint32_t>(spec.k, n - 1);
  for (std::uint32_t i = 0; i < n; ++i) {
    // k distinct picks other than i: rejection sampling (k << n in practice; falls back
    // to a shuffle of all candidates when k is a large share of n).
    std::vector<std::uint32_t> picks;
    if (static_cast<std::uint64_t>(k) * 4 < n) {
      while (picks.size() < k) {
        const auto j = static_cast<std::uint32_t>(rng.below(n));
        if (j == i || std::find(picks.begin(), picks.end(), j) != picks.end()) continue;
        picks.push_back(j);
      }
    } else {
      for (std::uint32_t j = 0; j < n; ++j)
        if (j != i) picks.push_back(j);
      for (std::uint32_t m = 0; m < k; ++m)
        std::swap(picks[m], picks[m + rng.below(picks.size() - m)]);
      picks.resize(k);
    }
    for (auto j : picks) {
      peers[i].push_back(j);
      peers[j].push_back(i);
    }
  }
  for (auto& p : peers) {
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
    p.shrink_to_fit();
  }
  return peers;
}

}  // namespace ts::sim
