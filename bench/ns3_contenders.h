// ns-3's schedulers as contenders of bench/scheduler_bench, two ways:
//   - raw: Insert/RemoveNext on (m_ts, m_uid) keys, as ns-3's own bench-scheduler drives
//     them (the uid is the event's seq; ns-3 orders ties by uid too);
//   - sim: through Simulator::Schedule/Run with that scheduler (SetScheduler), each event a
//     function call that schedules the next: what an ns-3 model pays per event (EventImpl
//     allocation, virtual Invoke, DefaultSimulatorImpl's bookkeeping).
// Included by one translation unit per build of ns-3's core: bench/ns3_debian.cc (Debian's
// libns3, logging and asserts compiled in) and bench/ns3_release.cc (scripts/
// build_ns3_release, compiled with -Dns3=ns3rel, so the names below become ns3rel::).
// ns-3's Calendar scheduler is left out: on the sim-like mix at 1 M pending it ran over 2
// minutes for 2 M events.
#pragma once

#include <ns3/heap-scheduler.h>
#include <ns3/map-scheduler.h>
#include <ns3/nstime.h>
#include <ns3/object-factory.h>
#include <ns3/priority-queue-scheduler.h>
#include <ns3/ptr.h>
#include <ns3/simulator.h>

#include <chrono>
#include <string>

#include "bench/bench_workload.h"
#include "bench/queue_run.h"
#include "sim/event.h"

namespace {

using ts::bench::Job;
using ts::bench::Workload;

template <class Ns3Scheduler>
struct Ns3RawQueue {
  ns3::Ptr<Ns3Scheduler> s = ns3::CreateObject<Ns3Scheduler>();
  std::uint32_t uid = 0;
  void reserve(std::size_t) {}
  void schedule(ts::SimTime at, ts::sim::EventKind, std::uint32_t) {
    ns3::Scheduler::Event ev;
    ev.impl = nullptr;
    ev.key.m_ts = static_cast<std::uint64_t>(at);
    ev.key.m_uid = uid++;
    ev.key.m_context = 0;
    s->Insert(ev);
  }
  bool pop(ts::sim::Event& e) {
    const ns3::Scheduler::Event ev = s->RemoveNext();
    e.at = static_cast<ts::SimTime>(ev.key.m_ts);
    e.seq = ev.key.m_uid;
    return true;
  }
};

// The state of one Simulator run (events are plain functions, as in ns-3's own
// bench-simulator).
struct SimRun {
  const Job* job = nullptr;
  ts::Prng rng{0};
  std::uint64_t next_seq = 0;  // our seq, in scheduling order (= ns-3's uid order)
  std::uint64_t popped = 0;
  std::uint64_t sum = 0;
};
SimRun g_run;

void on_event(std::uint64_t seq);

void schedule_in(std::int64_t delay_ns) {
  ns3::Simulator::Schedule(ns3::TimeStep(static_cast<std::uint64_t>(delay_ns)), &on_event,
                           g_run.next_seq++);
}

void on_event(std::uint64_t seq) {
  g_run.sum += static_cast<std::uint64_t>(ns3::Simulator::Now().GetTimeStep()) ^ seq;
  const std::uint64_t n = ++g_run.popped;
  const Job& job = *g_run.job;
  if (n == job.pops()) {
    ns3::Simulator::Stop();
  } else if (job.workload == Workload::kTrace) {
    for (std::uint64_t i = job.trace->group_start[n]; i < job.trace->group_start[n + 1]; ++i)
      schedule_in(job.trace->delays_ns[i]);
  } else {
    schedule_in(ts::bench::next_delay(g_run.rng, job.workload));
  }
}

template <class Ns3Scheduler>
double run_simulator(const Job& job, std::uint64_t& check) {
  ns3::ObjectFactory factory;
  factory.SetTypeId(Ns3Scheduler::GetTypeId());
  ns3::Simulator::SetScheduler(factory);
  g_run = SimRun{};
  g_run.job = &job;
  g_run.rng = ts::Prng(job.seed);
  if (job.workload == Workload::kTrace) {
    for (std::uint64_t i = job.trace->group_start[0]; i < job.trace->group_start[1]; ++i)
      schedule_in(job.trace->delays_ns[i]);
  } else {
    for (std::size_t i = 0; i < job.pending; ++i)
      schedule_in(ts::bench::next_delay(g_run.rng, job.workload));
  }
  TIMESIM_BENCH_MEASURE_BEGIN();
  const auto t0 = std::chrono::steady_clock::now();
  ns3::Simulator::Run();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  TIMESIM_BENCH_MEASURE_END();
  ns3::Simulator::Destroy();  // drops what is still pending; untimed
  check = g_run.sum;
  return static_cast<double>(g_run.popped) / secs;
}

std::vector<ts::bench::Contender> make_ns3_contenders(const std::string& prefix,
                                                      const std::string& family) {
  using ts::bench::run_queue;
  return {
      {prefix + "-map", family, run_queue<Ns3RawQueue<ns3::MapScheduler>>},
      {prefix + "-heap", family, run_queue<Ns3RawQueue<ns3::HeapScheduler>>},
      {prefix + "-pq", family, run_queue<Ns3RawQueue<ns3::PriorityQueueScheduler>>},
      {prefix + "-map-sim", family, run_simulator<ns3::MapScheduler>},
      {prefix + "-heap-sim", family, run_simulator<ns3::HeapScheduler>},
      {prefix + "-pq-sim", family, run_simulator<ns3::PriorityQueueScheduler>},
  };
}

}  // namespace
