// Scheduler benchmark: three workloads through the timesim Scheduler (sim/scheduler.h) and,
// in the same run, the baselines: a plain 4-ary heap of the same PODs, std::priority_queue,
// and ns-3's Map, Heap and PriorityQueue schedulers (bench/ns3_contenders.h), raw
// (Insert/RemoveNext) and through Simulator::Schedule/Run, each from two builds of ns-3's
// core: Debian's libns3-dev (logging and asserts compiled in) and, when scripts/
// build_ns3_release has been run, a release build (no NS_LOG, no NS_ASSERT, -O2).
//
// Workloads (bench/bench_workload.h):
//   hold     ns-3's bench-scheduler hold model: `pending` events at exponential(mean 100 ns)
//            delays (truncated to ns, so ties are frequent and must run FIFO), then `events`
//            times: pop the earliest, schedule one at now + exponential(100 ns);
//   simlike  the same with the simulator's delay mix;
//   trace    a real timesim run's events, replayed (--trace FILE, from
//            bench/event_trace_record; pending and events are the run's own, or its first
//            --trace-events pops; with --only, its first --events pops).
// Each configuration runs `runs` times, contenders interleaved; the median events/s is
// reported, with timesim's rate over each one's and over the best of each family. Every
// queue must pop the same (at, seq) sequence (checked; a trace's also the real run's).
// `--only NAME` runs one queue once (for callgrind: with --instr-atstart=no only the timed
// loop is instrumented, so instructions per event = Ir / events).
//
//   scheduler_bench [--events N] [--runs R] [--pending 100000,1000000] [--trace FILE
//                   [--trace-events N]]
//                   [--workloads hold,simlike,trace] [--only NAME [--workload W]]
//   scheduler_bench --list
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

#include "bench/bench_workload.h"
#include "bench/queue_run.h"
#include "sim/scheduler.h"

namespace {

using ts::bench::Contender;
using ts::bench::Job;
using ts::bench::Workload;
using ts::sim::Event;
using ts::sim::EventKind;

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

struct Later {  // priority_queue wants "less" = lower priority: the later (at, seq) first
  bool operator()(const Event& x, const Event& y) const {
    return x.at > y.at || (x.at == y.at && x.seq > y.seq);
  }
};

struct StdPriorityQueue {
  std::priority_queue<Event, std::vector<Event>, Later> q;
  std::uint64_t seq = 0;
  void reserve(std::size_t n) {
    std::vector<Event> storage;
    storage.reserve(n);
    q = decltype(q)(Later{}, std::move(storage));
  }
  void schedule(ts::SimTime at, EventKind kind, std::uint32_t a) {
    q.push(Event{at, seq++, a, 0, 0, kind, 0});
  }
  bool pop(Event& e) {
    e = q.top();
    q.pop();
    return true;
  }
};

const std::vector<Contender>& contenders() {
  static const std::vector<Contender> all = [] {
    std::vector<Contender> v = {
        {"timesim", "timesim", ts::bench::run_queue<ts::sim::Scheduler>},
        {"4-ary-heap", "baseline", ts::bench::run_queue<HeapOnly>},
        {"std::pq", "baseline", ts::bench::run_queue<StdPriorityQueue>},
    };
#ifdef TIMESIM_HAVE_NS3
    for (Contender& c : ts::bench::ns3_debian_contenders())
      v.push_back(c);
#endif
#ifdef TIMESIM_HAVE_NS3_RELEASE
    for (Contender& c : ts::bench::ns3_release_contenders())
      v.push_back(c);
#endif
    return v;
  }();
  return all;
}

void print_availability() {
#ifndef TIMESIM_HAVE_NS3
  std::printf("ns-3 (Debian libns3-dev): absent at build time, not measured\n");
#endif
#ifndef TIMESIM_HAVE_NS3_RELEASE
  std::printf(
      "ns-3 release build: absent at build time (run scripts/build_ns3_release, then "
      "reconfigure), not measured\n");
#endif
}

void print_header(const Job& job, int runs) {
  switch (job.workload) {
    case Workload::kHold:
      std::printf("\nhold model: exponential delays, mean %lld ns, truncated to ns",
                  static_cast<long long>(ts::bench::kMeanDelayNs));
      break;
    case Workload::kSimLike:
      std::printf(
          "\nsim-like delays: 10%% 0, 40%% 1-200 ms, 10%% 5 s, 10%% 10 s, 20%% 30 s, 7.5%% "
          "120 s, 2.5%% 600 s");
      break;
    case Workload::kTrace:
      std::printf("\ntrace replay (%s): %llu events scheduled first, peak %llu pending",
                  job.trace_name, static_cast<unsigned long long>(job.trace->group_start[1]),
                  static_cast<unsigned long long>(job.trace->peak_pending(job.pops())));
      break;
  }
  if (job.workload != Workload::kTrace) std::printf("; %zu pending", job.pending);
  std::printf("; %llu events; M events/s, median of %d runs\n",
              static_cast<unsigned long long>(job.pops()), runs);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Runs every contender `runs` times (interleaved, so drift on the machine hits all alike)
// and prints one line each plus timesim's ratio over the best of each family. Returns
// false when two queues popped different sequences (or a replay differed from its run).
bool bench_block(const Job& base, int runs) {
  const auto& cs = contenders();
  std::vector<std::vector<double>> rates(cs.size());
  for (int r = 0; r < runs; ++r) {
    Job job = base;
    if (job.workload != Workload::kTrace) job.seed = 1000 + static_cast<std::uint64_t>(r);
    std::uint64_t first = 0;
    for (std::size_t k = 0; k < cs.size(); ++k) {
      std::uint64_t check = 0;
      rates[k].push_back(cs[k].run(job, check));
      if (k == 0) first = check;
      if (check != first) {  // same seed, same (at, seq) contract: same pops
        std::fprintf(stderr, "scheduler_bench: %s and %s disagree on event order\n",
                     cs[0].name.c_str(), cs[k].name.c_str());
        return false;
      }
    }
    if (job.workload == Workload::kTrace && job.pops() == job.trace->groups() &&
        first != job.trace->pop_checksum) {
      std::fprintf(stderr, "scheduler_bench: the replay popped other events than the run\n");
      return false;
    }
  }
  print_header(base, runs);
  const double ours = median(rates[0]);
  std::printf("  %-16s %10s %14s\n", "queue", "M ev/s", "timesim/it");
  std::vector<std::pair<std::string, double>> best;  // family -> best rate
  for (std::size_t k = 0; k < cs.size(); ++k) {
    const double m = median(rates[k]);
    std::printf("  %-16s %10.2f %13.2fx\n", cs[k].name.c_str(), m / 1e6, ours / m);
    auto it = std::find_if(best.begin(), best.end(),
                           [&](const auto& b) { return b.first == cs[k].family; });
    if (it == best.end())
      best.emplace_back(cs[k].family, m);
    else
      it->second = std::max(it->second, m);
  }
  for (const auto& [family, rate] : best)
    if (family != "timesim")
      std::printf("  timesim / best %-12s %6.2fx\n", family.c_str(), ours / rate);
  std::fflush(stdout);
  return true;
}

bool parse_workload(const char* s, Workload& w) {
  for (Workload x : {Workload::kHold, Workload::kSimLike, Workload::kTrace})
    if (!std::strcmp(s, ts::bench::workload_name(x))) {
      w = x;
      return true;
    }
  return false;
}

struct Options {
  std::uint64_t events = 10'000'000;
  int runs = 5;
  std::vector<std::size_t> pendings = {100'000, 1'000'000};
  std::vector<Workload> workloads = {Workload::kHold, Workload::kSimLike, Workload::kTrace};
  const char* trace_path = nullptr;
  std::uint64_t trace_events = 0;  // pops of the trace to replay; 0: all
  const char* only = nullptr;
  Workload only_workload = Workload::kSimLike;
};

std::vector<std::string> split(const std::string& list) {  // "a,b" -> {"a", "b"}
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t comma; (comma = list.find(',', from)) != std::string::npos; from = comma + 1)
    out.push_back(list.substr(from, comma - from));
  out.push_back(list.substr(from));
  return out;
}

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* v = argv[i + 1];
    if (!std::strcmp(argv[i], "--events")) {
      o.events = std::strtoull(v, nullptr, 10);
    } else if (!std::strcmp(argv[i], "--runs")) {
      o.runs = std::atoi(v);
    } else if (!std::strcmp(argv[i], "--only")) {
      o.only = v;
    } else if (!std::strcmp(argv[i], "--trace")) {
      o.trace_path = v;
    } else if (!std::strcmp(argv[i], "--trace-events")) {
      o.trace_events = std::strtoull(v, nullptr, 10);
    } else if (!std::strcmp(argv[i], "--workload")) {
      if (!parse_workload(v, o.only_workload)) return false;
    } else if (!std::strcmp(argv[i], "--pending")) {
      o.pendings.clear();
      for (const std::string& tok : split(v))
        o.pendings.push_back(std::strtoull(tok.c_str(), nullptr, 10));
    } else if (!std::strcmp(argv[i], "--workloads")) {
      o.workloads.clear();
      for (const std::string& tok : split(v)) {
        Workload w;
        if (!parse_workload(tok.c_str(), w)) return false;
        o.workloads.push_back(w);
      }
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && !std::strcmp(argv[1], "--list")) {  // the queue names, for scripts
    for (const Contender& c : contenders())
      std::printf("%s\n", c.name.c_str());
    return 0;
  }
  Options o;
  if (!parse_options(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: scheduler_bench [--events N] [--runs R] [--pending A,B] [--trace FILE "
                 "[--trace-events N]] "
                 "[--workloads hold,simlike,trace] [--only NAME [--workload W]]\n");
    return 2;
  }
  ts::bench::EventTrace trace;
  const bool have_trace = o.trace_path && ts::bench::read_event_trace(o.trace_path, trace);
  if (o.trace_path && !have_trace) {
    std::fprintf(stderr, "scheduler_bench: cannot read the trace %s\n", o.trace_path);
    return 2;
  }
  if (o.only) {  // one queue, one workload, first pending size: for instruction counts
    Job job{o.only_workload, o.pendings.front(), o.events, 1000, &trace, o.trace_path};
    if (job.workload == Workload::kTrace && !have_trace) {
      std::fprintf(stderr, "scheduler_bench: --workload trace needs --trace FILE\n");
      return 2;
    }
    for (const Contender& c : contenders())
      if (c.name == o.only) {
        std::uint64_t check = 0;
        const double rate = c.run(job, check);
        std::printf("%s %s: %llu events, %.2f M events/s (check %llu)\n", c.name.c_str(),
                    ts::bench::workload_name(job.workload),
                    static_cast<unsigned long long>(job.pops()), rate / 1e6,
                    static_cast<unsigned long long>(check));
        return 0;
      }
    std::fprintf(stderr, "scheduler_bench: no queue named '%s'\n", o.only);
    return 2;
  }
  print_availability();
  for (Workload w : o.workloads) {
    if (w == Workload::kTrace) {
      if (!have_trace) {
        std::printf("\ntrace replay: no --trace FILE given, not measured\n");
        continue;
      }
      if (!bench_block(Job{w, 0, o.trace_events, 0, &trace, o.trace_path}, o.runs)) return 1;
      continue;
    }
    for (std::size_t pending : o.pendings)
      if (!bench_block(Job{w, pending, o.events, 0, nullptr}, o.runs)) return 1;
  }
  return 0;
}
