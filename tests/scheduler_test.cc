#include <doctest/doctest.h>

#include <vector>

#include "common/prng.h"
#include "sim/scheduler.h"

using ts::sim::Event;
using ts::sim::EventKind;
using ts::sim::Scheduler;

TEST_CASE("scheduler: runs events in time order, ties FIFO") {
  Scheduler s;
  s.schedule(30, EventKind::kTimer, 3);
  s.schedule(10, EventKind::kTimer, 1);
  s.schedule(20, EventKind::kTimer, 2);
  s.schedule(10, EventKind::kTimer, 4);  // same time as the second: runs after it
  s.schedule(10, EventKind::kTimer, 5);
  std::vector<std::uint32_t> order;
  Event e;
  while (s.pop(e)) {
    order.push_back(e.a);
    CHECK(s.now() == e.at);
  }
  CHECK(order == std::vector<std::uint32_t>{1, 4, 5, 2, 3});
  CHECK(s.scheduled() == 5);
  CHECK(s.executed() == 5);
  CHECK(s.pending() == 0);
}

TEST_CASE("scheduler: random hold model keeps (at, seq) order and never goes back") {
  Scheduler s;
  ts::Prng rng(9);
  for (int i = 0; i < 1000; ++i)
    s.schedule(rng.uniform(0, 100), EventKind::kTimer, i);
  Event e, prev{};
  bool first = true;
  std::uint64_t popped = 0;
  while (s.pop(e)) {
    if (!first) {
      CHECK((e.at > prev.at || (e.at == prev.at && e.seq > prev.seq)));
    }
    first = false;
    prev = e;
    ++popped;
    if (popped < 5000) s.schedule(e.at + rng.uniform(0, 50), EventKind::kTimer, 0);
  }
  CHECK(s.executed() == s.scheduled());
  CHECK(s.next_time() == ts::kNever);
}

// A reference queue: every pending event in a vector, the (at, seq)-least found by a scan.
// Slow and obviously right.
namespace {
struct ReferenceQueue {
  std::vector<Event> pending;
  std::uint64_t seq = 0;
  void schedule(ts::SimTime at, std::uint32_t a) {
    pending.push_back(Event{at, seq++, a, 0, 0, EventKind::kTimer, 0});
  }
  bool pop(Event& out) {
    if (pending.empty()) return false;
    std::size_t best = 0;
    for (std::size_t i = 1; i < pending.size(); ++i)
      if (pending[i].at < pending[best].at ||
          (pending[i].at == pending[best].at && pending[i].seq < pending[best].seq))
        best = i;
    out = pending[best];
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(best));
    return true;
  }
};
}  // namespace

TEST_CASE("scheduler: pops exactly the reference order across the window and the far heap") {
  // Delays mix same-time ties (0), the current epoch (< 2^24 ns), just past an epoch edge,
  // the bucket ring (ms to 30 s), just inside and just past the ring's span (4096 epochs),
  // the far heap (120 s, 600 s, a day) and kNever, so events cross from the far heap into
  // the near heap, the cursor jumps over empty epochs and wraps the ring many times.
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    CAPTURE(seed);
    ts::Prng rng(seed);
    Scheduler s;
    ReferenceQueue ref;
    constexpr ts::SimTime kEpoch = ts::SimTime{1} << Scheduler::kEpochBits;
    constexpr ts::SimTime kSpan = kEpoch * Scheduler::kRing;
    auto delay = [&]() -> ts::SimTime {
      switch (rng.below(10)) {
        case 0:
          return 0;
        case 1:
          return rng.uniform(0, 10);
        case 2:
          return rng.uniform(0, kEpoch - 1);
        case 3:
          return rng.uniform(kEpoch - 5, kEpoch + 5);
        case 4:
          return rng.uniform(1'000'000, 200'000'000);
        case 5:
          return rng.below(2) ? ts::seconds(30) : ts::seconds(5);
        case 6:
          return rng.uniform(kSpan - 2 * kEpoch, kSpan + 2 * kEpoch);
        case 7:
          return rng.below(2) ? ts::seconds(120) : ts::seconds(600);
        case 8:
          return rng.below(100) == 0 ? ts::kNever : rng.exponential(100);
        default:
          return rng.below(50) == 0 ? 24 * ts::kHour : rng.exponential(100);
      }
    };
    std::uint32_t tag = 0;
    for (int i = 0; i < 300; ++i) {
      const ts::SimTime at = delay();
      s.schedule(at, EventKind::kTimer, tag);
      ref.schedule(at, tag++);
    }
    Event e, r;
    std::uint64_t n = 0;
    while (s.pop(e)) {
      REQUIRE(ref.pop(r));
      REQUIRE(e.at == r.at);
      REQUIRE(e.seq == r.seq);
      REQUIRE(e.a == r.a);
      CHECK(s.next_time() == (ref.pending.empty() ? ts::kNever : [&] {
              Event peek;
              ReferenceQueue copy = ref;
              copy.pop(peek);
              return peek.at;
            }()));
      const int children = n < 6000 ? static_cast<int>(rng.below(3)) : 0;  // 0, 1 or 2
      for (int k = 0; k < children; ++k) {
        const ts::SimTime at = ts::add_sat(e.at, delay());
        s.schedule(at, EventKind::kTimer, tag);
        ref.schedule(at, tag++);
      }
      ++n;
    }
    CHECK_FALSE(ref.pop(r));
    CHECK(n == s.scheduled());
    CHECK(s.pending() == 0);
  }
}

TEST_CASE("scheduler: an event scheduled after next_time() looked ahead still runs first") {
  // Live mode asks next_time(), sleeps, and schedules what the sockets delivered meanwhile:
  // earlier than the epoch next_time() made current, but never before now().
  Scheduler s;
  s.schedule(ts::seconds(10), EventKind::kTimer, 1);
  s.schedule(ts::seconds(200), EventKind::kTimer, 2);  // far heap
  CHECK(s.next_time() == ts::seconds(10));
  s.schedule(ts::millis(1), EventKind::kTimer, 3);
  CHECK(s.next_time() == ts::millis(1));
  Event e;
  REQUIRE(s.pop(e));
  CHECK(e.a == 3);
  REQUIRE(s.pop(e));
  CHECK(e.a == 1);
  CHECK(s.next_time() == ts::seconds(200));
  s.schedule(ts::seconds(11), EventKind::kTimer, 4);
  REQUIRE(s.pop(e));
  CHECK(e.a == 4);
  REQUIRE(s.pop(e));
  CHECK(e.a == 2);
  CHECK_FALSE(s.pop(e));
  CHECK(s.next_time() == ts::kNever);
}
