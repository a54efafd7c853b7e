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
  // Delays mix same-time ties (0), the calendar window (< 4096 ns), just past it, and the
  // far future (ms to 30 s, and a day), so events cross from the heap into the buckets, the
  // cursor jumps over empty stretches and wraps the bucket ring many times.
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    CAPTURE(seed);
    ts::Prng rng(seed);
    Scheduler s;
    ReferenceQueue ref;
    auto delay = [&]() -> ts::SimTime {
      switch (rng.below(8)) {
        case 0:
          return 0;
        case 1:
          return rng.uniform(0, 10);
        case 2:
          return rng.uniform(0, 4095);
        case 3:
          return rng.uniform(4090, 4200);
        case 4:
          return rng.uniform(4096, 100'000);
        case 5:
          return rng.uniform(1'000'000, 200'000'000);
        case 6:
          return ts::seconds(30);
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
        const ts::SimTime at = e.at + delay();
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
