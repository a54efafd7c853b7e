// Drives a queue with schedule(at, kind, a) / pop(Event&) through a bench Job: the loop
// every raw contender of bench/scheduler_bench shares (only it is timed and counted).
#pragma once

#include <chrono>

#include "bench/bench_workload.h"
#include "sim/event.h"

namespace ts::bench {

template <class Queue>
double run_queue(const Job& job, std::uint64_t& check) {
  using ts::sim::Event;
  using ts::sim::EventKind;
  Queue q;
  ts::Prng rng(job.seed);
  const EventTrace* t = job.workload == Workload::kTrace ? job.trace : nullptr;
  if (t) {
    q.reserve(t->delays_ns.size());
    for (std::uint64_t i = t->group_start[0]; i < t->group_start[1]; ++i)
      q.schedule(t->delays_ns[i], EventKind::kTimer, 0);
  } else {
    q.reserve(job.pending + 1);
    for (std::size_t i = 0; i < job.pending; ++i)
      q.schedule(next_delay(rng, job.workload), EventKind::kTimer, 0);
  }
  const std::uint64_t pops = job.pops();
  Event e{};
  std::uint64_t sum = 0;
  TIMESIM_BENCH_MEASURE_BEGIN();
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t n = 1; n <= pops; ++n) {
    q.pop(e);
    sum += static_cast<std::uint64_t>(e.at) ^ e.seq;
    if (!t) {
      q.schedule(e.at + next_delay(rng, job.workload), EventKind::kTimer, 0);
    } else if (n < pops) {
      for (std::uint64_t i = t->group_start[n]; i < t->group_start[n + 1]; ++i)
        q.schedule(e.at + t->delays_ns[i], EventKind::kTimer, 0);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  TIMESIM_BENCH_MEASURE_END();
  check = sum;
  return static_cast<double>(pops) / secs;
}

}  // namespace ts::bench
