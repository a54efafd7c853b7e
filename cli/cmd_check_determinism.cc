// `timesim check-determinism SCENARIO.yaml --runs K [--seeds A..B | --seed S]`: runs every
// seed K times in this process and compares the event-trace fingerprints and a digest of
// every results row. On a mismatch it prints the first divergent event of the two runs
// (virtual time, node, event kind, operands) and exits 1.
#include <fmt/core.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "analysis/determinism.h"
#include "cli/command.h"

namespace ts::cli {
namespace {

struct CheckOptions {
  std::string scenario;
  unsigned runs = 2;
  std::uint64_t seed = 1;
  std::string seeds;  // "A..B"
  std::string duration;
  int jobs = 1;
  bool verbose = false;
  std::string plant;  // test only: "RUN:NTH"
};

std::string fmt_time(SimTime t) {
  return fmt::format("{}.{:09d}s", t / kSecond, t % kSecond);
}

void print_side(unsigned run, const sim::TraceSide& s) {
  if (!s.present) {
    fmt::print("  run {}: (trace ended)\n", run);
    return;
  }
  fmt::print("  run {}: t={} node {} {} {}\n", run, fmt_time(s.at),
             s.node < 0 ? std::string("-") : std::to_string(s.node), s.kind, s.operands);
}

int check(const CheckOptions& o, const CLI::Option* seed_opt) {
  if (o.runs < 2) return fail(2, "--runs must be at least 2");
  if (o.runs > kMaxDeterminismRuns)
    return fail(2, "--runs must be at most " + std::to_string(kMaxDeterminismRuns));
  auto sc = load_scenario_with_overrides(o.scenario, nullptr, 0, o.duration);
  if (!sc) return fail(2, sc.error().message);
  std::uint64_t first = seed_opt && seed_opt->count() > 0 ? o.seed : sc->seed;
  std::uint64_t last = first;
  if (!o.seeds.empty()) {
    auto r = parse_seed_range(o.seeds);
    if (!r) return fail(2, r.error().message);
    first = r->first;
    last = r->second;
  }
  sim::DeterminismOptions base;
  base.runs = o.runs;
  base.duration_ns = sc->duration_ns;
  if (!o.plant.empty()) {
    unsigned run = 0;
    unsigned long long nth = 0;
    if (std::sscanf(o.plant.c_str(), "%u:%llu", &run, &nth) != 2 || run == 0 || nth == 0)
      return fail(2, "--test-plant-nondeterminism takes RUN:NTH, e.g. 2:100");
    base.plant_in_run = run;
    base.plant_nth_segment = nth;
  }
  const std::uint64_t count = last - first + 1;
  fmt::print("check-determinism: {} · seeds {}..{} · {} runs each · {} simulated\n", sc->name,
             first, last, o.runs, sim::format_duration(sc->duration_ns));
  std::fflush(stdout);
  std::vector<Result<sim::DeterminismResult>> results(count, Error{"not run"});
  std::atomic<std::uint64_t> next{0};
  auto worker = [&] {
    for (std::uint64_t i; (i = next.fetch_add(1)) < count;) {
      if (g_interrupted.load()) break;
      sim::DeterminismOptions opt = base;
      opt.seed = first + i;
      results[i] = sim::check_determinism(*sc, opt);
    }
  };
  std::vector<std::thread> pool;
  for (int j = 1; j < o.jobs; ++j)
    pool.emplace_back(worker);
  worker();
  for (auto& t : pool)
    t.join();
  if (g_interrupted.load()) return fail(1, "interrupted");
  std::uint64_t mismatches = 0, events = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t seed = first + i;
    const auto& r = results[i];
    if (!r) return fail(1, fmt::format("seed {}: {}", seed, r.error().message));
    events += r->events;
    if (r->same) {
      if (o.verbose || count == 1)
        fmt::print(
            "seed {}: {} runs identical (fingerprint {:016x}, rows digest {:016x}, {} "
            "events)\n",
            seed, o.runs, r->fingerprints[0], r->db_digests[0], r->events);
      continue;
    }
    ++mismatches;
    if (r->first) {
      const auto& d = *r->first;
      fmt::print("MISMATCH seed {}: runs {} and {} part at event #{}\n", seed, d.run_a, d.run_b,
                 d.index);
      print_side(d.run_a, d.a);
      print_side(d.run_b, d.b);
    } else {
      fmt::print("MISMATCH seed {}: same event trace, different rows in table '{}'\n", seed,
                 r->db_only);
    }
  }
  fmt::print("{} seeds x {} runs: {} mismatches ({} events per run on average)\n", count, o.runs,
             mismatches, events / count);
  return mismatches == 0 ? 0 : 1;
}

}  // namespace

Command add_check_determinism_command(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check-determinism", "run a scenario K times per seed and compare event traces and rows");
  cmd->add_option("scenario", o->scenario, "scenario YAML")->required();
  cmd->add_option("--runs", o->runs, "runs per seed, 2..100 (default 2)")
      ->check(non_negative_integer());
  auto* seed_opt = cmd->add_option("--seed", o->seed, "the seed (default: the scenario's)")
                       ->check(non_negative_integer());
  cmd->add_option("--seeds", o->seeds,
                  "N (the seeds 1..N) or a seed range A..B (overrides --seed)");
  cmd->add_option("--duration", o->duration, "simulated time per run, e.g. 10m");
  cmd->add_option("--jobs", o->jobs, "seeds checked in parallel (threads, 1..256; default 1)")
      ->check(jobs_range());
  cmd->add_flag("-v,--verbose", o->verbose, "a line per seed");
  cmd->add_option("--test-plant-nondeterminism", o->plant,
                  "test only: RUN:NTH delays the NTH data segment of run RUN by 1 ns")
      ->group("");
  return Command{cmd, [o, seed_opt] { return check(*o, seed_opt); }};
}

}  // namespace ts::cli
