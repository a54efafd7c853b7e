// Scheduler: the discrete-event queue. Events run in (at, seq) order: earlier time first,
// and events at the same time in the order they were scheduled (FIFO).
//
// Two tiers (a calendar queue beside a heap):
//   - a window of kWindow consecutive nanoseconds [now, now + kWindow), one FIFO bucket per
//     nanosecond (bucket = at mod kWindow), and a bitmap of non-empty buckets. Scheduling
//     into the window is an append; the window's earliest event is the head of the first
//     non-empty bucket at or after now (a scan of at most 64 bitmap words).
//   - every event scheduled beyond the window goes to a 4-ary heap (sim/quad_heap.h) and is
//     popped from there directly.
// pop() takes the (at, seq)-earlier of the two candidates, so ties between an old far event
// and a newer bucketed one still run in scheduling order. Dense near-future traffic
// (bursts, ties, ns-3's hold model) never touches the heap; sparse far-future timers cost
// what the heap costs. Buckets keep their capacity: no allocation per event once they have
// grown. Not thread-safe.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "common/assert.h"
#include "sim/event.h"
#include "sim/quad_heap.h"

namespace ts::sim {

class Scheduler {
 public:
  static constexpr std::size_t kWindow = std::size_t{1} << 12;  // ns covered by buckets

  Scheduler() : buckets_(kWindow) {}
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Schedules an event at absolute time `at` (ns). REQUIRES: at >= now().
  void schedule(SimTime at, EventKind kind, std::uint32_t a = 0, std::uint32_t b = 0,
                std::uint32_t c = 0, std::uint8_t d = 0) {
    TS_ASSERT(at >= now_);
    const Event e{at, next_seq_++, a, b, c, kind, d};
    if (at - now_ < static_cast<SimTime>(kWindow))
      append(e);
    else
      far_.push(e);
  }

  // Removes the earliest event into `out` and advances now() to its time.
  // Returns false when no event is pending.
  bool pop(Event& out) {
    bool from_bucket = in_window_ > 0;
    if (!from_bucket && far_.empty()) return false;
    std::size_t bi = 0;
    if (from_bucket) {
      bi = next_nonempty(index(now_));
      if (!far_.empty()) {
        const SimTime tb = now_ + static_cast<SimTime>((bi - index(now_)) & kMask);
        const SimTime tf = far_.top_time();
        const Bucket& b = buckets_[bi];
        from_bucket = tb < tf || (tb == tf && b.events[b.head].seq < far_.top_seq());
      }
    }
    if (from_bucket) {
      Bucket& b = buckets_[bi];
      out = b.events[b.head++];
      if (b.head == b.events.size()) {
        b.events.clear();
        b.head = 0;
        bits_[bi >> 6] &= ~(std::uint64_t{1} << (bi & 63));
      }
      --in_window_;
    } else {
      far_.pop(out);
    }
    TS_ASSERT(out.at >= now_);  // time never goes back
    now_ = out.at;
    ++executed_;
    return true;
  }

  SimTime now() const { return now_; }
  // Time of the earliest pending event, or kNever.
  SimTime next_time() const {
    if (in_window_ == 0) return far_.top_time();
    const std::size_t i = next_nonempty(index(now_));
    const SimTime tb = now_ + static_cast<SimTime>((i - index(now_)) & kMask);
    return std::min(tb, far_.top_time());
  }
  std::size_t pending() const { return in_window_ + far_.size(); }
  std::uint64_t scheduled() const { return next_seq_; }
  std::uint64_t executed() const { return executed_; }
  void reserve(std::size_t n) { far_.reserve(n); }

 private:
  static constexpr std::size_t kMask = kWindow - 1;
  static constexpr std::size_t kWords = kWindow / 64;

  struct Bucket {
    std::vector<Event> events;  // one timestamp; in seq order
    std::size_t head = 0;       // next to pop
  };

  static std::size_t index(SimTime t) { return static_cast<std::size_t>(t) & kMask; }

  void append(const Event& e) {
    const std::size_t i = index(e.at);
    buckets_[i].events.push_back(e);
    bits_[i >> 6] |= std::uint64_t{1} << (i & 63);
    ++in_window_;
  }

  // The first non-empty bucket at or after index `from`, cyclically. REQUIRES in_window_ > 0.
  std::size_t next_nonempty(std::size_t from) const {
    std::size_t w = from >> 6;
    std::uint64_t word = bits_[w] & (~std::uint64_t{0} << (from & 63));
    for (std::size_t k = 0; k <= kWords; ++k) {
      if (word != 0) return (w << 6) | static_cast<std::size_t>(std::countr_zero(word));
      w = (w + 1) % kWords;
      word = bits_[w];
    }
    TS_ASSERT(false);
    return 0;
  }

  std::vector<Bucket> buckets_;
  std::uint64_t bits_[kWords] = {};
  std::size_t in_window_ = 0;  // bucketed events; all in [now_, now_ + kWindow)
  QuadHeap far_;               // events scheduled at or beyond the window's end
  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
};

}  // namespace ts::sim
