// BasicQuadHeap: a priority queue of events in (at, seq) order: earlier time first, and equal
// times by `seq` (the caller's scheduling order). An implicit 4-ary min-heap of 16-byte keys
// (at, seq << 26 | slot), so the four children of a node share one 64-byte cache line; an
// event's operands wait in a slab at `slot` (slots are recycled, LIFO). No allocation per
// event once the vectors have grown. Limits: seq < 2^38, 2^26 pending at once (asserted).
// BasicScheduler keeps the current epoch's events and the far-future ones in two of these
// (driver/event_queue.h). `Kind` is the engine's one-byte event kind enum.
#pragma once

#include <cstdint>
#include <vector>

#include "common/assert.h"
#include "driver/timed_event.h"

namespace ts::sim {

template <class Kind>
class BasicQuadHeap {
 public:
  using Event = BasicEvent<Kind>;

  BasicQuadHeap() = default;
  BasicQuadHeap(const BasicQuadHeap&) = delete;
  BasicQuadHeap& operator=(const BasicQuadHeap&) = delete;

  // Adds `e` (its `seq` decides ties and must be unique).
  void push(const Event& e) {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slab_.size());
      TS_ASSERT(slot <= kSlotMask);
      slab_.emplace_back();
    }
    slab_[slot] = Operands{e.a, e.b, e.c, e.kind, e.d};
    TS_ASSERT(e.seq < (std::uint64_t{1} << (64 - kSlotBits)));
    push_key(Key{e.at, (e.seq << kSlotBits) | slot});
  }

  // Removes the earliest event into `out`. Returns false when empty.
  bool pop(Event& out) {
    if (heap_.empty()) return false;
    out = pop_top();
    return true;
  }

  // Removes and returns the earliest event. REQUIRES !empty().
  Event pop_top() {
    TS_ASSERT(!heap_.empty());
    const Key top = heap_.front();
    const Key last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
    const auto slot = static_cast<std::uint32_t>(top.key & kSlotMask);
    const Operands& o = slab_[slot];
    free_.push_back(slot);
    return Event{top.at, top.key >> kSlotBits, o.a, o.b, o.c, o.kind, o.d};
  }

  // Time of the earliest event, or kNever.
  SimTime top_time() const { return heap_.empty() ? kNever : heap_.front().at; }
  // Sequence number of the earliest event. REQUIRES !empty().
  std::uint64_t top_seq() const { return heap_.front().key >> kSlotBits; }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  void reserve(std::size_t n) {
    heap_.reserve(n);
    slab_.reserve(n);
    free_.reserve(n);
  }

 private:
  static constexpr std::size_t kArity = 4;
  static constexpr int kSlotBits = 26;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;

  struct Key {
    SimTime at;
    std::uint64_t key;  // seq << kSlotBits | slot: seq is unique, so it decides ties
  };
  static_assert(sizeof(Key) == 16, "four heap children per cache line");
  struct Operands {
    std::uint32_t a, b, c;
    Kind kind;
    std::uint8_t d;
  };

  static bool before(const Key& x, const Key& y) {
    return x.at < y.at || (x.at == y.at && x.key < y.key);
  }

  void push_key(const Key& e) {
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      const std::size_t parent = (i - 1) / kArity;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  // Places `e` starting from the root hole, moving smaller children up.
  void sift_down(const Key& e) {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    while (true) {
      const std::size_t first = i * kArity + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = first + kArity < n ? first + kArity : n;
      for (std::size_t c = first + 1; c < end; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<Key> heap_;
  std::vector<Operands> slab_;
  std::vector<std::uint32_t> free_;
};

}  // namespace ts::sim
