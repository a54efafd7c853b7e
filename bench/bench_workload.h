// What bench/scheduler_bench runs through every queue: the workloads (ns-3's hold model,
// the simulator's delay mix, the replay of a real run's trace) and the contender interface.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define TIMESIM_BENCH_MEASURE_BEGIN() CALLGRIND_START_INSTRUMENTATION
#define TIMESIM_BENCH_MEASURE_END() CALLGRIND_STOP_INSTRUMENTATION
#else  // no valgrind headers: instruction counts then include the set-up
#define TIMESIM_BENCH_MEASURE_BEGIN() ((void)0)
#define TIMESIM_BENCH_MEASURE_END() ((void)0)
#endif

#include "bench/event_trace.h"
#include "common/prng.h"

namespace ts::bench {

constexpr std::int64_t kMeanDelayNs = 100;

// kHold: ns-3's hold model. kSimLike: the simulator's own mix (same-time follow-ups,
// network latencies of 1-200 ms, 5 s redials, 10 s ping checks, 30 s ping ticks, 120 s
// redial passes and 600 s block slots). kTrace: a real run's events, replayed.
enum class Workload { kHold, kSimLike, kTrace };

inline const char* workload_name(Workload w) {
  return w == Workload::kHold ? "hold" : w == Workload::kSimLike ? "simlike" : "trace";
}

// The delay (ns) of the next event of a synthetic workload.
inline std::int64_t next_delay(ts::Prng& rng, Workload w) {
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

// One measurement. Synthetic workloads: fill the queue with `pending` events at delays
// from time 0, then pop `events` times, each pop followed by one schedule at the popped
// time + a delay. kTrace: schedule the trace's group 0, then pop once per group, each pop
// i followed by group i (so `pending` and `events` are the trace's own).
struct Job {
  Workload workload = Workload::kHold;
  std::size_t pending = 0;
  std::uint64_t events = 0;
  std::uint64_t seed = 0;
  const EventTrace* trace = nullptr;  // kTrace only
  const char* trace_name = "";
  // kTrace: the first `events` of the trace's pops (all when 0 or more than it has).
  std::uint64_t pops() const {
    if (workload != Workload::kTrace) return events;
    return events == 0 ? trace->groups() : std::min<std::uint64_t>(events, trace->groups());
  }
};

// Runs the job once; returns events popped per second (wall) and sets `check` to the sum
// of at ^ seq over the pops (equal for queues that pop the same (at, seq) sequence).
using RunFn = double (*)(const Job&, std::uint64_t& check);

struct Contender {
  std::string name;
  std::string family;  // "timesim", "baseline", "ns3-debian" or "ns3-release"
  RunFn run;
};

// ns-3's contenders (bench/ns3_contenders.h), one set per build of its core.
std::vector<Contender> ns3_debian_contenders();
std::vector<Contender> ns3_release_contenders();

}  // namespace ts::bench
