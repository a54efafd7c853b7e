// Leader selection: which active masternode proposes the block at a height.
//
// Upstream (bft_consensus.rs select_leader at 31ad283) hashes the height's little-endian
// bytes followed by the active addresses in ascending order and takes the first 8 bytes of
// the SHA-256 modulo the count. The model hashes the same inputs with FNV-1a 64: the rule
// is the same (deterministic, rotates with height, and agrees exactly between nodes whose
// active sets agree), only the hash function differs.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "node_core/chain.h"

namespace ts::node {

// Index into `active` (ascending addresses, non-empty) of the leader for `height`.
inline std::size_t select_leader(std::uint64_t height,
                                 const std::vector<std::string_view>& active) {
  Fnv1a h;
  h.add_u64(height);
  for (auto a : active)
    h.add(a);
  return static_cast<std::size_t>(h.value() % active.size());
}

}  // namespace ts::node
