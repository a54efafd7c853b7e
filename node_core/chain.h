// Chain: one node's committed blocks, from genesis to its tip.
//
// The model keeps every block (a block is a few dozen bytes and a run has at most a few
// thousand heights), so a node can serve GetBlocks for any range it holds. A block is
// applied only if it extends the tip: height = tip height + 1 and previous_hash = tip hash.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "node_core/message.h"

namespace ts::node {

// FNV-1a 64 over bytes; the model's stand-in for SHA-256 wherever upstream hashes.
class Fnv1a {
 public:
  void add(std::string_view bytes) {
    for (unsigned char ch : bytes) {
      h_ ^= ch;
      h_ *= 0x100000001b3ull;
    }
  }
  void add_u64(std::uint64_t v) {  // little-endian, as Rust's to_le_bytes()
    for (int i = 0; i < 8; ++i) {
      h_ ^= (v >> (8 * i)) & 0xff;
      h_ *= 0x100000001b3ull;
    }
  }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ull;
};

// The hash of a block's header fields.
inline std::uint64_t block_hash(const Block& b) {
  Fnv1a h;
  h.add_u64(b.previous_hash);
  h.add_u64(b.height);
  h.add_u64(static_cast<std::uint64_t>(b.timestamp));
  h.add(b.producer);
  for (auto tx : b.transactions)
    h.add_u64(tx);
  return h.value();
}

// Every node starts from the same genesis block (height 0).
inline Block genesis_block() {
  Block g;
  g.producer = "genesis";
  g.hash = block_hash(g);
  return g;
}

class Chain {
 public:
  Chain() : blocks_{genesis_block()} {}
  explicit Chain(std::vector<Block> blocks) : blocks_(std::move(blocks)) {
    if (blocks_.empty()) blocks_.push_back(genesis_block());
  }

  std::uint64_t height() const { return blocks_.back().height; }
  const Block& tip() const { return blocks_.back(); }
  // The block at `height`; requires height <= height().
  const Block& at(std::uint64_t height) const { return blocks_[height]; }
  const std::vector<Block>& blocks() const { return blocks_; }

  // True if `b` extends the tip (and was appended).
  bool extends(const Block& b) const {
    return b.height == height() + 1 && b.previous_hash == tip().hash && b.hash == block_hash(b);
  }
  bool apply(const Block& b) {
    if (!extends(b)) return false;
    blocks_.push_back(b);
    return true;
  }

 private:
  std::vector<Block> blocks_;  // blocks_[h].height == h
};

}  // namespace ts::node
