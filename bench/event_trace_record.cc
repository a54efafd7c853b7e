// Records the event trace of a real timesim run (bench/event_trace.h) for
// bench/scheduler_bench's replay workload.
//   event_trace_record SCENARIO.yaml DURATION OUT [SEED]   e.g. topologies/k_out_1000.yaml 3m
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/event_trace.h"
#include "bench/event_trace_build.h"
#include "scenario/scenario.h"
#include "sim/world.h"
#include "store/recorder.h"

using ts::sim::World;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: event_trace_record SCENARIO.yaml DURATION OUT [SEED]\n");
    return 2;
  }
  auto sc = ts::sim::load_scenario_file(argv[1]);
  auto duration = ts::sim::parse_duration(argv[2]);
  if (!sc || !duration) {
    std::fprintf(stderr, "event_trace_record: bad scenario or duration\n");
    return 2;
  }
  const std::uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
  auto rec = ts::sim::Recorder::open(":memory:");
  if (!rec) return 1;
  ts::sim::RunInfo info;
  info.scenario_name = sc->name;
  info.seed = seed;
  info.duration_ns = *duration;
  if (!(*rec)->begin_run(info)) return 1;
  World world(*sc, seed, rec->get());
  std::vector<World::TracedEvent> pops;
  std::vector<ts::sim::Event> left;
  world.set_trace(&pops);
  world.set_undispatched(&left);
  if (!world.run(*duration)) {
    std::fprintf(stderr, "event_trace_record: the run failed\n");
    return 1;
  }
  ts::bench::EventTrace t;
  if (!ts::bench::build_event_trace(pops, left, t) || !ts::bench::write_event_trace(argv[3], t)) {
    std::fprintf(stderr, "event_trace_record: could not build or write the trace\n");
    return 1;
  }
  std::printf("%s: %zu pops, %zu scheduled\n", argv[3], t.groups(), t.delays_ns.size());
  return 0;
}
