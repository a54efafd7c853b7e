// BasicScheduler: the discrete-event queue both engines run on (sim::Scheduler is the
// simulator's, sim/scheduler.h; live::LiveWorld keeps its timers and emulated delays in
// one). `Kind` is the engine's one-byte event kind enum. Events run in (at, seq) order: earlier
// time first, and events at the same time in the order they were scheduled (FIFO).
//
// Sized for the simulator's own mix: millisecond link latencies, 5/10/30 s protocol timers
// and a few 120/600 s ones. Time is cut into epochs of 2^24 ns (≈ 16.8 ms):
//   - the current epoch's events sit in a small 4-ary heap (`near_`), the only place where
//     events are ordered, so ordering costs log(events per epoch), not log(all pending);
//   - the next kRing − 1 epochs (≈ 68.7 s ahead) are a ring of unsorted buckets with a
//     bitmap of non-empty ones: scheduling there is an append;
//   - anything later (120 s passes, 600 s block slots, a day) waits in a second 4-ary heap
//     (`far_`) and is moved to `near_` when its epoch becomes current.
// When `near_` runs dry the next non-empty epoch (the nearer of the first set bucket and the
// far heap's top) becomes current and its events move into `near_`. Invariant: `near_` holds
// every pending event whose epoch is <= cur_epoch_, the ring those in (cur, cur + kRing),
// the far heap the rest (and possibly some in the ring's range, scheduled long ago).
// The heaps keep their capacity, and the buckets share one pool of fixed-size chunks
// (driver/chunked_buckets.h): no allocation per event once they have grown to the peak.
// Not thread-safe.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

#include "common/assert.h"
#include "driver/chunked_buckets.h"
#include "driver/quad_heap.h"
#include "driver/timed_event.h"

namespace ts::sim {

template <class Kind>
class BasicScheduler {
 public:
  using Event = BasicEvent<Kind>;

  static constexpr int kEpochBits = 24;        // one epoch = 2^24 ns ≈ 16.8 ms
  static constexpr std::int64_t kRing = 4096;  // epochs the bucket ring spans (≈ 68.7 s)

  BasicScheduler() = default;
  BasicScheduler(const BasicScheduler&) = delete;
  BasicScheduler& operator=(const BasicScheduler&) = delete;

  // Schedules an event at absolute time `at` (ns). REQUIRES: at >= now().
  void schedule(SimTime at, Kind kind, std::uint32_t a = 0, std::uint32_t b = 0,
                std::uint32_t c = 0, std::uint8_t d = 0) {
    TS_ASSERT(at >= now_);
    const Event e{at, next_seq_++, a, b, c, kind, d};
    const std::int64_t ep = epoch(at);
    if (ep <= cur_epoch_) {
      near_.push(e);
    } else if (ep - cur_epoch_ < kRing) {
      const std::size_t i = bucket(ep);
      ring_.push(i, e);
      bits_[i >> 6] |= std::uint64_t{1} << (i & 63);
      ++in_ring_;
    } else {
      far_.push(e);
    }
  }

  // Removes the earliest event into `out` and advances now() to its time.
  // Returns false when no event is pending.
  bool pop(Event& out) {
    if (near_.empty() && !advance()) return false;
    out = near_.pop_top();
    TS_ASSERT(out.at >= now_);  // time never goes back
    now_ = out.at;
    ++executed_;
    return true;
  }

  SimTime now() const { return now_; }
  // Time of the earliest pending event, or kNever. May make the next non-empty epoch
  // current (moving its events into the near heap); that changes no order.
  SimTime next_time() {
    if (near_.empty() && !advance()) return kNever;
    return near_.top_time();
  }
  std::size_t pending() const { return near_.size() + in_ring_ + far_.size(); }
  std::uint64_t scheduled() const { return next_seq_; }
  std::uint64_t executed() const { return executed_; }
  void reserve(std::size_t n) {
    near_.reserve(std::min<std::size_t>(n, 1 << 16));
    far_.reserve(n);
  }

 private:
  static constexpr std::size_t kWords = static_cast<std::size_t>(kRing) / 64;
  static_assert(kRing % 64 == 0 && std::has_single_bit(static_cast<std::uint64_t>(kRing)));

  static std::int64_t epoch(SimTime t) { return t >> kEpochBits; }
  static std::size_t bucket(std::int64_t ep) {
    return static_cast<std::size_t>(ep) & static_cast<std::size_t>(kRing - 1);
  }

  // Makes the next non-empty epoch current and fills `near_` from it. REQUIRES near_ empty.
  // Returns false when nothing is pending.
  bool advance() {
    if (far_.empty() && in_ring_ == 0) return false;
    std::int64_t next = far_.empty() ? epoch(kNever) : epoch(far_.top_time());
    if (in_ring_ > 0) next = std::min(next, cur_epoch_ + distance_to_next_bucket());
    cur_epoch_ = next;
    const std::size_t i = bucket(next);
    if (!ring_.empty(i)) {
      // A bucket holds one epoch of the ring's span.
      TS_ASSERT(epoch(ring_.front(i).at) == next);
      in_ring_ -= ring_.drain(i, [this](const Event& e) { near_.push(e); });
      bits_[i >> 6] &= ~(std::uint64_t{1} << (i & 63));
    }
    while (!far_.empty() && epoch(far_.top_time()) == next)
      near_.push(far_.pop_top());
    return true;
  }

  // Epochs from the current one to the first non-empty bucket after it (1..kRing-1).
  // REQUIRES in_ring_ > 0. The current epoch's own bucket is always empty.
  std::int64_t distance_to_next_bucket() const {
    const std::size_t from = bucket(cur_epoch_ + 1);
    std::size_t w = from >> 6;
    std::uint64_t word = bits_[w] & (~std::uint64_t{0} << (from & 63));
    for (std::size_t k = 0; k <= kWords; ++k) {
      if (word != 0) {
        const std::size_t i = (w << 6) | static_cast<std::size_t>(std::countr_zero(word));
        return static_cast<std::int64_t>((i - bucket(cur_epoch_)) &
                                         static_cast<std::size_t>(kRing - 1));
      }
      w = (w + 1) % kWords;
      word = bits_[w];
    }
    TS_ASSERT(false);
    return 0;
  }

  BasicQuadHeap<Kind> near_;  // events of epochs <= cur_epoch_
  ChunkedBuckets<Event, static_cast<std::size_t>(kRing)>
      ring_;                         // bucket(ep): events of epoch ep, unsorted
  std::uint64_t bits_[kWords] = {};  // non-empty buckets
  std::size_t in_ring_ = 0;
  BasicQuadHeap<Kind> far_;  // events at least kRing epochs ahead when they were scheduled
  std::int64_t cur_epoch_ = 0;
  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
};

}  // namespace ts::sim
