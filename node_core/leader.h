// Who makes the block at a height. Two different rules exist at 31ad283, both SHA-256:
//
// * Producer (main.rs:662-683, the block timer): SHA-256(prev_hash || tip_height as u64
//   little-endian), where prev_hash is the 32-byte hash of the tip block and tip_height is
//   the CURRENT height (the new block's height minus one); the digest's first 8 bytes
//   little-endian, modulo the number of eligible masternodes, index the eligible list in
//   the registry's HashMap iteration order (masternode_registry.rs:307-316), which differs
//   from process to process.
// * BFT leader (bft_consensus.rs:125-146, select_leader): SHA-256(new_height as u64
//   little-endian || the active addresses, sorted ascending, concatenated), first 8 bytes
//   little-endian modulo the count, indexing the sorted list.
//
// The model's block hashes are 64-bit (chain.h); as upstream's 32-byte prev_hash it uses
// those 8 bytes little-endian followed by 24 zero bytes (docs/fidelity.md).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "node_core/sha256.h"

namespace ts::node {

// The 40 bytes main.rs hashes to pick the producer.
inline std::array<std::uint8_t, 40> producer_selection_input(std::uint64_t prev_hash,
                                                             std::uint64_t tip_height) {
  std::array<std::uint8_t, 40> in{};
  for (int i = 0; i < 8; ++i) {
    in[i] = static_cast<std::uint8_t>(prev_hash >> (8 * i));
    in[32 + i] = static_cast<std::uint8_t>(tip_height >> (8 * i));
  }
  return in;
}

// Index into the eligible list (count > 0, in the node's own registry order) of the
// producer of the block after the tip (`prev_hash`, `tip_height`).
inline std::size_t select_producer(std::uint64_t prev_hash, std::uint64_t tip_height,
                                   std::size_t count) {
  const auto in = producer_selection_input(prev_hash, tip_height);
  return static_cast<std::size_t>(first_u64_le(sha256(in)) % count);
}

// Index into `active` (ascending addresses, non-empty) of the BFT leader for `height`.
inline std::size_t select_leader(std::uint64_t height,
                                 const std::vector<std::string_view>& active) {
  std::vector<std::uint8_t> in;
  for (int i = 0; i < 8; ++i)
    in.push_back(static_cast<std::uint8_t>(height >> (8 * i)));
  for (auto a : active)
    in.insert(in.end(), a.begin(), a.end());
  return static_cast<std::size_t>(first_u64_le(sha256(in)) % active.size());
}

}  // namespace ts::node
