// The replay workload of bench/scheduler_bench: a trace built from a real run
// (bench/event_trace_build.h), written and read back (bench/event_trace.h), and replayed
// through the Scheduler must pop exactly the run's own (at, seq) sequence.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/event_trace.h"
#include "bench/event_trace_build.h"
#include "bench/queue_run.h"
#include "scenario/scenario.h"
#include "sim/scheduler.h"
#include "sim/world.h"

namespace {

using ts::bench::EventTrace;
using ts::sim::Event;

std::string temp_file(const std::string& name) {  // per process: ctest runs tests in parallel
  return (std::filesystem::temp_directory_path() /
          ("timesim_" + name + "_" + std::to_string(::getpid()) + ".trace"))
      .string();
}

// Replays `t` through a fresh Scheduler; returns the popped events.
std::vector<Event> replay(const EventTrace& t) {
  ts::sim::Scheduler s;
  for (std::uint64_t i = t.group_start[0]; i < t.group_start[1]; ++i)
    s.schedule(t.delays_ns[i], ts::sim::EventKind::kTimer);
  std::vector<Event> popped;
  Event e{};
  for (std::size_t g = 1; g <= t.groups(); ++g) {
    if (!s.pop(e)) break;
    popped.push_back(e);
    if (g == t.groups()) break;
    for (std::uint64_t i = t.group_start[g]; i < t.group_start[g + 1]; ++i)
      s.schedule(e.at + t.delays_ns[i], ts::sim::EventKind::kTimer);
  }
  return popped;
}

}  // namespace

TEST_CASE("event trace: a replay of a real run pops the run's (at, seq) sequence") {
  auto sc =
      ts::sim::load_scenario_file(std::string(TIMESIM_SOURCE_DIR) + "/topologies/six_nodes.yaml");
  REQUIRE(sc.ok());
  ts::sim::World w(*sc, 7, nullptr);
  std::vector<ts::sim::World::TracedEvent> pops;
  std::vector<Event> left;
  w.set_trace(&pops);
  w.set_undispatched(&left);
  REQUIRE(w.run(30LL * 60 * 1'000'000'000).ok());
  REQUIRE(pops.size() > 1000);
  CHECK(!left.empty());  // events beyond the end: their delays come from here

  EventTrace built;
  REQUIRE(ts::bench::build_event_trace(pops, left, built));
  const std::string path = temp_file("event_trace");
  REQUIRE(ts::bench::write_event_trace(path, built));
  EventTrace t;
  REQUIRE(ts::bench::read_event_trace(path, t));
  std::remove(path.c_str());
  REQUIRE(t.groups() == pops.size());
  CHECK(t.delays_ns == built.delays_ns);

  const std::vector<Event> popped = replay(t);
  REQUIRE(popped.size() == pops.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < pops.size(); ++i)
    if (popped[i].at != pops[i].event.at || popped[i].seq != pops[i].event.seq) ++mismatches;
  CHECK(mismatches == 0);

  // The bench's own replay loop agrees, and with the checksum the file carries.
  ts::bench::Job job{ts::bench::Workload::kTrace, 0, 0, 0, &t};
  std::uint64_t check = 0;
  ts::bench::run_queue<ts::sim::Scheduler>(job, check);
  CHECK(check == t.pop_checksum);
}

TEST_CASE("event trace: a truncated file is refused") {
  EventTrace t;
  t.group_start = {0, 2, 3};
  t.delays_ns = {5, 0, 1'000'000'000'000};
  t.pop_checksum = 42;
  const std::string path = temp_file("event_trace_trunc");
  REQUIRE(ts::bench::write_event_trace(path, t));
  EventTrace back;
  REQUIRE(ts::bench::read_event_trace(path, back));
  CHECK(back.delays_ns == t.delays_ns);
  CHECK(back.pop_checksum == 42);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  std::string bytes;
  for (int c; (c = std::fgetc(f)) != EOF;)
    bytes.push_back(static_cast<char>(c));
  std::fclose(f);
  f = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size() - 2, f);
  std::fclose(f);
  CHECK(!ts::bench::read_event_trace(path, back));
  std::remove(path.c_str());
}
