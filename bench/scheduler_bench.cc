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

double run_timesim(std::size_t pending, std::uint64_t events, std::uint64_t seed,
                   std::uint64_t& check) {
  ts::sim::Scheduler s;
  s.reserve(pending + 1);
  ts::Prng rng(seed);
  for (std::size_t i = 0; i < pending; ++i)
    s.schedule(rng.exponential(kMeanDelayNs), EventKind::kTimer, 0);
  const auto t0 = std::chrono::steady_clock::now();
  Event e{};
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < events; ++i) {
    s.pop(e);
    sum += static_cast<std::uint64_t>(e.at);
    s.schedule(e.at + rng.exponential(kMeanDelayNs), EventKind::kTimer, 0);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  check = sum;
  return static_cast<double>(events) / secs;
}

double run_baseline(std::size_t pending, std::uint64_t events, std::uint64_t seed,
                    std::uint64_t& check) {
  std::vector<Event> storage;
  storage.reserve(pending + 1);
  std::priority_queue<Event, std::vector<Event>, Later> q(Later{}, std::move(storage));
  ts::Prng rng(seed);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < pending; ++i)
    q.push(Event{rng.exponential(kMeanDelayNs), seq++, 0, 0, 0, EventKind::kTimer, 0});
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < events; ++i) {
    const Event e = q.top();
    q.pop();
    sum += static_cast<std::uint64_t>(e.at);
    q.push(Event{e.at + rng.exponential(kMeanDelayNs), seq++, 0, 0, 0, EventKind::kTimer, 0});
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
  std::printf(
      "hold model: exponential delays, mean %lld ns, truncated to ns; %llu events; median of %d "
      "runs\n",
      static_cast<long long>(kMeanDelayNs), static_cast<unsigned long long>(events), runs);
  std::printf("%10s  %22s  %22s  %8s\n", "pending", "timesim (M events/s)", "std::pq (M events/s)",
              "ratio");
  for (std::size_t pending : pendings) {
    std::vector<double> a, b;
    for (int r = 0; r < runs; ++r) {  // interleaved so drift on the machine hits both
      std::uint64_t ca = 0, cb = 0;
      a.push_back(run_timesim(pending, events, 1000 + r, ca));
      b.push_back(run_baseline(pending, events, 1000 + r, cb));
      if (ca != cb) {  // same seed, same order contract: both must pop the same times
        std::fprintf(stderr, "scheduler_bench: timesim and baseline disagree on event order\n");
        return 1;
      }
    }
    const double ma = median(a) / 1e6, mb = median(b) / 1e6;
    std::printf("%10zu  %22.2f  %22.2f  %7.2fx\n", pending, ma, mb, ma / mb);
  }
  return 0;
}
