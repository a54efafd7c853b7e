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
