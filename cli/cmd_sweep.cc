// `timesim sweep SCENARIO.yaml --seeds A..B [--shard I/N] [--jobs J] --db OUT.db`: runs the
// scenario once per seed (child processes, J at a time), folds the runs into OUT.db in seed
// order, and prints each metric's mean, spread and 95 % interval over the seeds.
// `--shard I/N` keeps the seeds whose position in A..B is I-1 modulo N, so N machines (GNU
// parallel, a Slurm job array) can each run one shard; `timesim merge` folds their DBs.
#include <fmt/core.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <thread>

#include "analysis/merge.h"
#include "analysis/metrics.h"
#include "analysis/stats.h"
#include "cli/command.h"
#include "cli/output_path.h"
#include "cli/seed_runner.h"

namespace ts::cli {
namespace {

namespace fs = std::filesystem;

struct SweepOptions {
  std::string scenario;
  std::string seeds;
  std::string shard;  // "I/N"
  int jobs = 0;
  std::string db;
  std::string duration;
  std::string all_version;
  bool force = false;
};

Result<std::pair<std::uint64_t, std::uint64_t>> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  auto num = [](const std::string& t, std::uint64_t& out) {
    if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos)
      return false;
    out = std::stoull(t);
    return true;
  };
  std::uint64_t i = 0, n = 0;
  if (slash == std::string::npos || !num(text.substr(0, slash), i) ||
      !num(text.substr(slash + 1), n) || n == 0 || i == 0 || i > n)
    return Error{"--shard takes I/N with 1 <= I <= N, e.g. 2/4 (got '" + text + "')"};
  return std::pair{i, n};
}

int sweep(const SweepOptions& o) {
  auto sc = sim::load_scenario_file(o.scenario);
  if (!sc) return fail(2, sc.error().message);
  if (o.seeds.empty()) return fail(2, "--seeds N or A..B is required");
  auto range = parse_seed_range(o.seeds);
  if (!range) return fail(2, range.error().message);
  std::uint64_t shard_i = 1, shard_n = 1;
  if (!o.shard.empty()) {
    auto s = parse_shard(o.shard);
    if (!s) return fail(2, s.error().message);
    shard_i = s->first;
    shard_n = s->second;
  }
  if (!o.duration.empty()) {
    if (auto ok = apply_duration(*sc, o.duration); !ok) return fail(2, ok.error().message);
  }
  if (!o.all_version.empty() && !sc->find_version(o.all_version))
    return fail(2, "--all-version: unknown version '" + o.all_version + "'");
  if (o.db.empty()) return fail(2, "--db OUT.db is required");
  std::error_code ec;
  if (fs::exists(o.db, ec) && fs::file_size(o.db, ec) > 0 && !o.force)
    return fail(2, "'" + o.db + "' exists; use --force to replace it, or `timesim merge` to add");
  if (auto ok = check_seed_db_output(o.db, {o.scenario}, o.force); !ok)
    return fail(2, "--db: " + ok.error().message);
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = range->first, k = 0; s <= range->second; ++s, ++k) {
    if (k % shard_n == shard_i - 1) seeds.push_back(s);
    if (s == UINT64_MAX) break;
  }
  if (seeds.empty()) return fail(2, "shard " + o.shard + " of --seeds " + o.seeds + " is empty");
  const int jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  auto tmp = make_temp_dir("timesim-sweep");
  if (!tmp) return fail(1, tmp.error().message);
  RemoveOnExit cleanup{*tmp};
  std::vector<SeedJob> list;
  std::vector<analysis::MergeInput> inputs;
  for (auto seed : seeds) {
    SeedJob j;
    j.scenario = o.scenario;
    j.seed = seed;
    j.db = fmt::format("{}/seed-{}.db", *tmp, seed);
    j.duration = o.duration;
    j.all_version = o.all_version;
    list.push_back(j);
    inputs.push_back({j.db, "", "", seed});
  }
  fmt::print(stderr, "sweep: {} · {} seed(s){} · {} at a time\n", sc->name, seeds.size(),
             shard_n > 1 ? fmt::format(" (shard {}/{} of {})", shard_i, shard_n, o.seeds) : "",
             jobs);
  const auto outcome = run_seed_jobs(list, jobs);
  if (o.force && (outcome.ok() || outcome.finished_count > 0)) {
    // Checked again now, minutes after the first check: only a timesim results DB goes.
    if (auto ok = check_seed_db_output(o.db, {o.scenario}, true); !ok)
      return fail(1, "--db: " + ok.error().message + " (the sweep's runs are not saved)");
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      fs::remove(o.db + suffix, ec);
  }
  if (!outcome.ok()) {  // keep the seeds that finished
    if (outcome.finished_count == 0) return fail(1, outcome.summary());
    if (auto ok = fold_finished(o.db, inputs, outcome); !ok) return fail(1, ok.error().message);
    return fail(1, outcome.summary() + "; their runs are in " + o.db);
  }
  if (auto ok = analysis::merge_results(o.db, inputs); !ok) return fail(1, ok.error().message);

  auto runs = analysis::metrics_of_file(o.db);
  if (!runs) return fail(1, runs.error().message);
  fmt::print("sweep {} · seeds {}{} · {} runs -> {}\n", sc->name, o.seeds,
             shard_n > 1 ? fmt::format(" shard {}/{}", shard_i, shard_n) : "", runs->size(), o.db);
  fmt::print("{:<28} {:>12} {:>12} {:>12} {:>12} {:>25}\n", "metric", "mean", "sd", "min", "max",
             "95% CI of the mean");
  const auto& defs = analysis::metric_defs();
  for (std::size_t m = 0; m < defs.size(); ++m) {
    std::vector<double> xs;
    for (const auto& r : *runs)
      if (r.values[m]) xs.push_back(*r.values[m]);
    if (xs.empty()) {
      fmt::print("{:<28} {:>12}\n", defs[m].name, "n/a");
      continue;
    }
    const auto d = analysis::describe(xs);
    const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
    fmt::print("{:<28} {:>12.4g} {:>12.4g} {:>12.4g} {:>12.4g} {:>25}\n", defs[m].name, d.mean,
               d.sd, *lo, *hi, fmt::format("[{:.4g}, {:.4g}]", d.ci_lo, d.ci_hi));
  }
  return 0;
}

int merge(const std::string& out, const std::vector<std::string>& ins, std::size_t test_raise) {
  std::error_code ec;
  for (const auto& in : ins) {
    if (!fs::is_regular_file(in, ec)) return fail(2, "no such results DB: " + in);
    if (fs::equivalent(in, out, ec)) return fail(2, "'" + in + "' is also the output");
  }
  if (auto ok = check_output_path(out, ins, OutputKind::kResultsDb); !ok)
    return fail(2, ok.error().message);
  std::vector<analysis::MergeInput> inputs;
  for (const auto& in : ins)
    inputs.push_back({in, "", "", 0});
  std::size_t folded = 0;
  // Stops between inputs on SIGINT/SIGTERM; each input is one transaction, so `out` stays a
  // valid DB holding the inputs folded so far.
  auto stop = [&](std::size_t done) {
    folded = done;
    if (test_raise > 0 && done == test_raise) std::raise(SIGINT);
    return g_interrupted.load();
  };
  if (auto ok = analysis::merge_results(out, inputs, stop); !ok) return fail(2, ok.error().message);
  if (g_interrupted.load())
    return fail(1,
                fmt::format("interrupted: folded {} of {} DB(s) into {}", folded, ins.size(), out));
  auto runs = analysis::metrics_of_file(out);
  if (!runs) return fail(1, runs.error().message);
  fmt::print("merged {} DB(s) into {} ({} runs)\n", ins.size(), out, runs->size());
  return 0;
}

}  // namespace

Command add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand("sweep", "run a scenario over a range of seeds into one DB");
  cmd->add_option("scenario", o->scenario, "scenario YAML")->required();
  cmd->add_option("--seeds", o->seeds, "N (the seeds 1..N) or a seed range A..B (inclusive)")
      ->required();
  cmd->add_option("--shard", o->shard, "I/N: run only every N-th seed, starting with the I-th");
  cmd->add_option("--jobs", o->jobs, "runs at a time, 1..256 (default: the number of cores)")
      ->check(jobs_range());
  cmd->add_option("--db", o->db, "output results DB (one run per seed)")->required();
  cmd->add_option("--duration", o->duration, "virtual time per run, e.g. 10m");
  cmd->add_option("--all-version", o->all_version, "run every node on this version profile");
  cmd->add_flag("--force", o->force,
                "replace an existing output results DB (never a file timesim did not write)");
  return Command{cmd, [o] { return sweep(*o); }};
}

Command add_merge_command(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  auto ins = std::make_shared<std::vector<std::string>>();
  auto test_raise = std::make_shared<std::size_t>(0);
  auto* cmd = app.add_subcommand("merge", "fold results DBs (e.g. sweep shards) into one");
  cmd->add_option("out", *out, "output results DB (created, or appended to)")->required();
  cmd->add_option("inputs", *ins, "input results DBs, folded in the order given")->required();
  cmd->add_option("--test-raise-sigint-after", *test_raise,
                  "test only: raise SIGINT after folding this many inputs")
      ->group("");
  return Command{cmd, [out, ins, test_raise] { return merge(*out, *ins, *test_raise); }};
}

}  // namespace ts::cli
