// ChunkedBuckets: a fixed number of unsorted event buckets (BasicScheduler's ring), each a
// list of fixed-size chunks drawn from one shared pool. Draining a bucket hands all its
// chunks back to the pool's free list at once, for whichever bucket fills next, so:
//   - memory follows the events pending (plus at most one partly filled chunk per non-empty
//     bucket), not the sum of every bucket's own peak;
//   - once the pool has grown to the peak number of pending events, pushing and draining
//     allocate nothing (chunks are never freed; the pool grows a block at a time).
// Events leave a bucket in the order they were pushed. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/assert.h"

namespace ts::sim {

template <class Event, std::size_t kBuckets>
class ChunkedBuckets {
 public:
  static constexpr std::uint32_t kChunkEvents = 16;  // events per chunk (512 B of events)

  bool empty(std::size_t b) const { return lists_[b].head == kNone; }
  // The first event pushed into bucket `b`. REQUIRES !empty(b).
  const Event& front(std::size_t b) const { return chunk(lists_[b].head).events[0]; }

  void push(std::size_t b, const Event& e) {
    List& l = lists_[b];
    if (l.tail == kNone || chunk(l.tail).count == kChunkEvents) {
      const std::uint32_t c = take_chunk();
      (l.tail == kNone ? l.head : chunk(l.tail).next) = c;
      l.tail = c;
    }
    Chunk& t = chunk(l.tail);
    t.events[t.count++] = e;
  }

  // Calls each(event) for bucket `b`'s events in push order, then empties it (its chunks
  // go back to the pool). Returns the number of events.
  template <class Each>
  std::size_t drain(std::size_t b, Each each) {
    List& l = lists_[b];
    std::size_t n = 0;
    for (std::uint32_t c = l.head; c != kNone; c = chunk(c).next) {
      const Chunk& k = chunk(c);
      for (std::uint32_t i = 0; i < k.count; ++i)
        each(k.events[i]);
      n += k.count;
    }
    if (l.head != kNone) {
      chunk(l.tail).next = free_;
      free_ = l.head;
    }
    l = List{};
    return n;
  }

  // Chunks made so far (each kChunkEvents events): the pool's size, for memory accounting.
  std::size_t chunks() const { return made_; }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  static constexpr std::uint32_t kBlockBits = 6;  // 64 chunks (~33 KB) per allocation
  static constexpr std::uint32_t kBlockChunks = 1u << kBlockBits;

  struct Chunk {
    Event events[kChunkEvents];
    std::uint32_t next = kNone;  // the bucket's (or the free list's) next chunk
    std::uint32_t count = 0;     // events used
  };
  struct List {
    std::uint32_t head = kNone, tail = kNone;
  };

  Chunk& chunk(std::uint32_t c) { return blocks_[c >> kBlockBits][c & (kBlockChunks - 1)]; }
  const Chunk& chunk(std::uint32_t c) const {
    return blocks_[c >> kBlockBits][c & (kBlockChunks - 1)];
  }

  // An empty chunk: the free list's first, else a new one (a new block every kBlockChunks).
  std::uint32_t take_chunk() {
    std::uint32_t c = free_;
    if (c != kNone) {
      free_ = chunk(c).next;
    } else {
      TS_ASSERT(made_ < kNone - kBlockChunks);
      if (made_ % kBlockChunks == 0) blocks_.push_back(std::make_unique<Chunk[]>(kBlockChunks));
      c = made_++;
    }
    Chunk& k = chunk(c);
    k.next = kNone;
    k.count = 0;
    return c;
  }

  std::vector<std::unique_ptr<Chunk[]>> blocks_;
  std::uint32_t made_ = 0;
  std::uint32_t free_ = kNone;  // first free chunk, linked through Chunk::next
  std::array<List, kBuckets> lists_{};
};

}  // namespace ts::sim
