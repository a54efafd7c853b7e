// Scheduler: the discrete-event queue. Events run in (at, seq) order: earlier time first,
// and events at the same time in the order they were scheduled (FIFO), whatever the heap
// does. Backed by an implicit 4-ary min-heap in one std::vector: no allocation per event
// once the vector has grown. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "common/assert.h"
#include "sim/event.h"

namespace ts::sim {

class Scheduler {
 public:
  Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Schedules an event at absolute time `at` (ns). REQUIRES: at >= now().
  void schedule(SimTime at, EventKind kind, std::uint32_t a = 0, std::uint32_t b = 0,
                std::uint32_t c = 0, std::uint8_t d = 0) {
    TS_ASSERT(at >= now_);
    push(Event{at, next_seq_++, a, b, c, kind, d});
  }

  // Removes the earliest event into `out` and advances now() to its time.
  // Returns false when no event is pending.
  bool pop(Event& out) {
    if (heap_.empty()) return false;
    out = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
    TS_ASSERT(out.at >= now_);  // time never goes back
    now_ = out.at;
    ++executed_;
    return true;
  }

  SimTime now() const { return now_; }
  // Time of the earliest pending event, or kNever.
  SimTime next_time() const { return heap_.empty() ? kNever : heap_.front().at; }
  std::size_t pending() const { return heap_.size(); }
  std::uint64_t scheduled() const { return next_seq_; }
  std::uint64_t executed() const { return executed_; }
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  static constexpr std::size_t kArity = 4;

  static bool before(const Event& x, const Event& y) {
    return x.at < y.at || (x.at == y.at && x.seq < y.seq);
  }

  void push(const Event& e) {
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
  void sift_down(const Event& e) {
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

  std::vector<Event> heap_;
  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
};

}  // namespace ts::sim
