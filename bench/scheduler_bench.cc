// Scheduler benchmark: ns-3's bench-scheduler "hold" model against the timesim Scheduler and
// a std::priority_queue of the same PODs, measured in the same run.
//
// Hold model: fill the queue with `pending` events at exponential(mean 100 ns) delays
// (truncated to integer ns, so ties are frequent and must run FIFO); then, 10M times in
// total, pop the earliest event and schedule a new one at now + exponential(100 ns).
// Each configuration runs `runs` times; the median events/s is reported.
//
//   scheduler_bench [--events N] [--runs R] [--pending 100000,1000000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

#include "common/prng.h"
#include "sim/quad_heap.h"
#include "sim/scheduler.h"

namespace {

using ts::sim::Event;
using ts::sim::EventKind;

struct Later {  // priority_queue wants "less" = lower priority: the later (at, seq) first
  bool operator()(const Event& x, const Event& y) const {
    return x.at > y.at || (x.at == y.at && x.seq > y.seq);
  }
};

constexpr std::int64_t kMeanDelayNs = 100;

// The delay of the next event. kHold: ns-3's hold model. kSimLike: the simulator's own mix
// (network latencies of 1-200 ms, 5 s redials, 10 s ping checks, 30 s ping ticks, and
// same-time follow-ups), to show the far-future path is not slower than a heap.
enum class Workload { kHold, kSimLike };
std::int64_t next_delay(ts::Prng& rng, Workload w) {
  if (w == Workload::kHold) return rng.exponential(kMeanDelayNs);
  switch (rng.below(10)) {
    case 0:
      return 0;
    case 1:
    case 2:
    case 3:
    case 4:
      return rng.uniform(1'000'000, 200'000'000);
    case 5:
      return 5'000'000'000;
    case 6:
      return 10'000'000'000;
    default:
      return 30'000'000'000;
  }
}

template <class Queue>
double run_scheduler(std::size_t pending, std::uint64_t events, std::uint64_t seed, Workload w,
                     std::uint64_t& check) {
  Queue s;
  s.reserve(pending + 1);
  ts::Prng rng(seed);
  for (std::size_t i = 0; i < pending; ++i)
    s.schedule(next_delay(rng, w), EventKind::kTimer, 0);
  const auto t0 = std::chrono::steady_clock::now();
  Event e{};
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < events; ++i) {
    s.pop(e);
    sum += static_cast<std::uint64_t>(e.at) ^ e.seq;
    s.schedule(e.at + next_delay(rng, w), EventKind::kTimer, 0);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  check = sum;
  return static_cast<double>(events) / secs;
}

// The previous scheduler, for reference: the 4-ary heap alone (what the far tier is now).
struct HeapOnly {
  ts::sim::QuadHeap h;
  std::uint64_t seq = 0;
  void reserve(std::size_t n) { h.reserve(n); }
  void schedule(ts::SimTime at, EventKind kind, std::uint32_t a) {
    h.push(Event{at, seq++, a, 0, 0, kind, 0});
  }
  bool pop(Event& e) { return h.pop(e); }
};

double run_baseline(std::size_t pending, std::uint64_t events, std::uint64_t seed, Workload w,
                    std::uint64_t& check) {
  std::vector<Event> storage;
  storage.reserve(pending + 1);
  std::priority_queue<Event, std::vector<Event>, Later> q(Later{}, std::move(storage));
  ts::Prng rng(seed);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < pending; ++i)
    q.push(Event{next_delay(rng, w), seq++, 0, 0, 0, EventKind::kTimer, 0});
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < events; ++i) {
    const Event e = q.top();
    q.pop();
    sum += static_cast<std::uint64_t>(e.at) ^ e.seq;
    q.push(Event{e.at + next_delay(rng, w), seq++, 0, 0, 0, EventKind::kTimer, 0});
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  check = sum;
  return static_cast<double>(events) / secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t events = 10'000'000;
  int runs = 5;
  std::vector<std::size_t> pendings = {100'000, 1'000'000};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events"))
      events = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--pending")) {
      pendings.clear();
      for (char* tok = std::strtok(argv[i + 1], ","); tok; tok = std::strtok(nullptr, ","))
        pendings.push_back(std::strtoull(tok, nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: scheduler_bench [--events N] [--runs R] [--pending A,B]\n");
      return 2;
    }
  }
  for (Workload w : {Workload::kHold, Workload::kSimLike}) {
    if (w == Workload::kHold)
      std::printf(
          "hold model: exponential delays, mean %lld ns, truncated to ns; %llu events; median "
          "of %d runs\n",
          static_cast<long long>(kMeanDelayNs), static_cast<unsigned long long>(events), runs);
    else
      std::printf(
          "\nsim-like delays: 10%% 0, 40%% 1-200 ms, 10%% 5 s, 10%% 10 s, 30%% 30 s; %llu events; "
          "median of %d runs\n",
          static_cast<unsigned long long>(events), runs);
    std::printf("%10s  %16s  %16s  %16s  %8s\n", "pending", "timesim (M/s)", "std::pq (M/s)",
                "4-ary heap (M/s)", "ratio");
    for (std::size_t pending : pendings) {
      std::vector<double> a, b, c;
      for (int r = 0; r < runs; ++r) {  // interleaved so drift on the machine hits all three
        std::uint64_t ca = 0, cb = 0, cc = 0;
        a.push_back(run_scheduler<ts::sim::Scheduler>(pending, events, 1000 + r, w, ca));
        b.push_back(run_baseline(pending, events, 1000 + r, w, cb));
        c.push_back(run_scheduler<HeapOnly>(pending, events, 1000 + r, w, cc));
        if (ca != cb || cc != cb) {  // same seed, same (at, seq) contract: same pops
          std::fprintf(stderr, "scheduler_bench: the queues disagree on event order\n");
          return 1;
        }
      }
      const double ma = median(a) / 1e6, mb = median(b) / 1e6, mc = median(c) / 1e6;
      std::printf("%10zu  %16.2f  %16.2f  %16.2f  %7.2fx\n", pending, ma, mb, mc, ma / mb);
      std::fflush(stdout);
    }
  }
  return 0;
}
