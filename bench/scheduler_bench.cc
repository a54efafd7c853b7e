// Scheduler benchmark: ns-3's bench-scheduler "hold" model and the simulator's own delay mix,
// through the timesim Scheduler and, in the same run, the baselines: a plain 4-ary heap of the
// same PODs, std::priority_queue, and (when built against Debian's libns3-dev) ns-3's own
// Map, Heap and PriorityQueue schedulers through their raw Insert/RemoveNext (its Calendar
// scheduler is left out: on the sim-like mix at 1 M pending it ran over 2 minutes for 2 M events).
//
// Hold model: fill the queue with `pending` events at exponential(mean 100 ns) delays
// (truncated to integer ns, so ties are frequent and must run FIFO); then, 10M times in
// total, pop the earliest event and schedule a new one at now + exponential(100 ns).
// Each configuration runs `runs` times; the median events/s is reported.
//
// The last column is timesim's rate over the best baseline's. Every queue must pop the same
// (at, seq) sequence (checked). `--only NAME` runs one queue once (for callgrind:
// instructions per event = Ir / events).
//
//   scheduler_bench [--events N] [--runs R] [--pending 100000,1000000] [--only NAME]
//   scheduler_bench --list
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

#ifdef TIMESIM_HAVE_NS3
#include <ns3/heap-scheduler.h>
#include <ns3/map-scheduler.h>
#include <ns3/priority-queue-scheduler.h>
#include <ns3/ptr.h>
#endif

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

// The delay of the next event. kHold: ns-3's hold model. kSimLike: the simulator's own mix
// (same-time follow-ups, network latencies of 1-200 ms, 5 s redials, 10 s ping checks, 30 s
// ping ticks, 120 s redial passes and 600 s block slots): what the epoch ring is sized for.
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
    case 7:
    case 8:
      return 30'000'000'000;
    default:
      return rng.below(4) ? 120'000'000'000 : 600'000'000'000;
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

#ifdef TIMESIM_HAVE_NS3
// ns-3's schedulers, raw: Insert/RemoveNext on (m_ts, m_uid) keys, as ns-3's own
// bench-scheduler drives them. The uid is the event's seq (ns-3 orders ties by uid too).
template <class Ns3Scheduler>
struct Ns3Queue {
  ns3::Ptr<Ns3Scheduler> s = ns3::CreateObject<Ns3Scheduler>();
  std::uint32_t uid = 0;
  void reserve(std::size_t) {}
  void schedule(ts::SimTime at, EventKind, std::uint32_t) {
    ns3::Scheduler::Event ev;
    ev.impl = nullptr;
    ev.key.m_ts = static_cast<std::uint64_t>(at);
    ev.key.m_uid = uid++;
    ev.key.m_context = 0;
    s->Insert(ev);
  }
  bool pop(Event& e) {
    const ns3::Scheduler::Event ev = s->RemoveNext();
    e.at = static_cast<ts::SimTime>(ev.key.m_ts);
    e.seq = ev.key.m_uid;
    return true;
  }
};
#endif

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

using RunFn = double (*)(std::size_t, std::uint64_t, std::uint64_t, Workload, std::uint64_t&);
struct Contender {
  const char* name;
  RunFn run;
};
// The first is timesim's; the ratio column compares it with the best of the others.
const std::vector<Contender>& contenders() {
  static const std::vector<Contender> all = {
      {"timesim", run_scheduler<ts::sim::Scheduler>},
      {"4-ary-heap", run_scheduler<HeapOnly>},
      {"std::pq", run_baseline},
#ifdef TIMESIM_HAVE_NS3
      {"ns3-map", run_scheduler<Ns3Queue<ns3::MapScheduler>>},
      {"ns3-heap", run_scheduler<Ns3Queue<ns3::HeapScheduler>>},
      {"ns3-pq", run_scheduler<Ns3Queue<ns3::PriorityQueueScheduler>>},
#endif
  };
  return all;
}

void print_header(Workload w, std::uint64_t events, int runs) {
  if (w == Workload::kHold)
    std::printf("hold model: exponential delays, mean %lld ns, truncated to ns; %llu events",
                static_cast<long long>(kMeanDelayNs), static_cast<unsigned long long>(events));
  else
    std::printf(
        "\nsim-like delays: 10%% 0, 40%% 1-200 ms, 10%% 5 s, 10%% 10 s, 20%% 30 s, 7.5%% 120 s, "
        "2.5%% 600 s; %llu events",
        static_cast<unsigned long long>(events));
  std::printf("; million events/s, median of %d runs\n%10s", runs, "pending");
  for (const Contender& c : contenders())
    std::printf("  %12s", c.name);
  std::printf("  %14s\n", "timesim/best");
}

// Runs every contender `runs` times (interleaved, so drift on the machine hits all alike).
// Returns false when two queues popped different sequences.
bool bench_row(Workload w, std::size_t pending, std::uint64_t events, int runs) {
  const auto& cs = contenders();
  std::vector<std::vector<double>> rates(cs.size());
  for (int r = 0; r < runs; ++r) {
    std::uint64_t first = 0;
    for (std::size_t k = 0; k < cs.size(); ++k) {
      std::uint64_t check = 0;
      rates[k].push_back(cs[k].run(pending, events, 1000 + r, w, check));
      if (k == 0) first = check;
      if (check != first) {  // same seed, same (at, seq) contract: same pops
        std::fprintf(stderr, "scheduler_bench: %s and %s disagree on event order\n", cs[0].name,
                     cs[k].name);
        return false;
      }
    }
  }
  std::printf("%10zu", pending);
  double best_other = 0;
  for (std::size_t k = 0; k < cs.size(); ++k) {
    const double m = median(rates[k]) / 1e6;
    std::printf("  %12.2f", m);
    if (k > 0) best_other = std::max(best_other, m);
  }
  std::printf("  %13.2fx\n", median(rates[0]) / 1e6 / best_other);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t events = 10'000'000;
  int runs = 5;
  std::vector<std::size_t> pendings = {100'000, 1'000'000};
  const char* only = nullptr;
  if (argc == 2 && !std::strcmp(argv[1], "--list")) {  // the queue names, for scripts
    for (const Contender& c : contenders())
      std::printf("%s\n", c.name);
    return 0;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events"))
      events = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--only"))
      only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--pending")) {
      pendings.clear();
      for (char* tok = std::strtok(argv[i + 1], ","); tok; tok = std::strtok(nullptr, ","))
        pendings.push_back(std::strtoull(tok, nullptr, 10));
    } else {
      std::fprintf(stderr,
                   "usage: scheduler_bench [--events N] [--runs R] [--pending A,B] [--only "
                   "NAME]\n");
      return 2;
    }
  }
  if (only) {  // one queue, sim-like mix, first pending size: for instruction counts
    for (const Contender& c : contenders())
      if (!std::strcmp(c.name, only)) {
        std::uint64_t check = 0;
        const double rate = c.run(pendings.front(), events, 1000, Workload::kSimLike, check);
        std::printf("%s: %.2f M events/s (check %llu)\n", c.name, rate / 1e6,
                    static_cast<unsigned long long>(check));
        return 0;
      }
    std::fprintf(stderr, "scheduler_bench: no queue named '%s'\n", only);
    return 2;
  }
  for (Workload w : {Workload::kHold, Workload::kSimLike}) {
    print_header(w, events, runs);
    for (std::size_t pending : pendings)
      if (!bench_row(w, pending, events, runs)) return 1;
  }
  return 0;
}
