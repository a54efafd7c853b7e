// `timesim compare A.yaml B.yaml --seeds N` and `timesim compare S.yaml --versions X,Y`:
// runs both sides over N seeds (child processes, --jobs at a time), computes each run's
// metrics from its results DB (analysis/metrics.h) and prints, per metric, both sides'
// mean and 95 % CI, the difference (Welch) and a verdict. `--fail-if` thresholds turn a
// significant regression into exit 1; bad input exits 2 before anything runs.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "analysis/compare.h"
#include "analysis/merge.h"
#include "analysis/metrics.h"
#include "cli/command.h"
#include "cli/seed_runner.h"
#include "scenario/scenario.h"

namespace ts::cli {
namespace {

namespace fs = std::filesystem;

struct CompareOptions {
  std::vector<std::string> scenarios;
  std::string versions;
  std::string seeds = "20";  // N (seed_base..seed_base+N-1) or A..B
  std::uint64_t seed_base = 1;
  CLI::Option* seed_base_opt = nullptr;
  std::uint64_t seed_base_b = 0;
  CLI::Option* seed_base_b_opt = nullptr;
  int jobs = 0;
  std::string duration;
  std::vector<std::string> fail_if;
  bool json = false;
  std::string db;
  double min_effect_pct = 100 * analysis::kDefaultMinEffect;
};

struct Side {
  std::string scenario;  // path
  std::string version;   // --versions: every node on this profile
  std::string label;
  std::uint64_t seed_base = 1;
};

// What a compare will run, validated before anything runs.
struct ComparePlan {
  std::vector<Side> sides = std::vector<Side>(2);
  std::uint64_t seeds = 0;  // per side
  std::vector<analysis::Threshold> thresholds;
  int jobs = 1;
};

// Every option checked and every scenario loaded; an error is a usage error (exit 2).
Result<ComparePlan> plan_compare(const CompareOptions& o) {
  ComparePlan plan;
  auto& sides = plan.sides;
  if (!o.versions.empty()) {
    if (o.scenarios.size() != 1) return Error{"--versions takes exactly one scenario"};
    const auto comma = o.versions.find(',');
    if (comma == std::string::npos || o.versions.find(',', comma + 1) != std::string::npos)
      return Error{"--versions: expected two versions, e.g. pre-fix,post-fix"};
    sides[0].version = o.versions.substr(0, comma);
    sides[1].version = o.versions.substr(comma + 1);
    for (auto& s : sides)
      s.scenario = o.scenarios[0];
  } else {
    if (o.scenarios.size() != 2)
      return Error{"compare needs two scenarios (A.yaml B.yaml) or one with --versions X,Y"};
    sides[0].scenario = o.scenarios[0];
    sides[1].scenario = o.scenarios[1];
  }
  for (auto& s : sides) {
    auto sc = load_scenario_with_overrides(s.scenario, nullptr, 0, o.duration);
    if (!sc) return Error{sc.error().message};
    if (!s.version.empty() && !sc->find_version(s.version))  // a built-in or the scenario's own
      return Error{"--versions: unknown version '" + s.version + "'"};
    s.label = s.version.empty() ? sc->name : sc->name + " @ " + s.version;
  }
  if (sides[0].label == sides[1].label) {
    sides[0].label += " (A)";
    sides[1].label += " (B)";
  }
  if (!(o.min_effect_pct >= 0)) return Error{"--min-effect must be >= 0"};
  auto range = parse_seed_range(o.seeds);
  if (!range) return Error{range.error().message};
  const bool is_range = o.seeds.find("..") != std::string::npos;
  if (is_range && o.seed_base_opt->count() > 0)
    return Error{"--seed-base cannot be combined with a seed range --seeds A..B"};
  const std::uint64_t seeds = plan.seeds = range->second - range->first + 1;
  if (seeds < 2)
    return Error{"--seeds must give at least 2 seeds (a confidence interval needs two runs)"};
  const std::uint64_t base_a = is_range ? range->first : o.seed_base;
  const std::uint64_t base_b = o.seed_base_b_opt->count() > 0 ? o.seed_base_b : base_a;
  if (std::max(base_a, base_b) > UINT64_MAX - (seeds - 1))
    return Error{"--seed-base: the last seed would be past 18446744073709551615"};
  if (!o.duration.empty()) {
    auto d = sim::parse_duration(o.duration);
    if (!d) return Error{"--duration: " + d.error().message};
  }
  for (const auto& t : o.fail_if) {
    auto th = analysis::parse_threshold(t);
    if (!th) return Error{th.error().message};
    plan.thresholds.push_back(*th);
  }
  if (!o.db.empty())
    if (auto ok = check_seed_db_output(o.db, o.scenarios, false); !ok)
      return Error{"--db: " + ok.error().message};
  sides[0].seed_base = base_a;
  sides[1].seed_base = base_b;
  plan.jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return plan;
}

// What the runs gave: per-metric comparisons and the --fail-if checks.
struct CompareOutcome {
  std::vector<analysis::MetricComparison> rows;
  std::vector<analysis::ThresholdCheck> checks;
  bool regression = false;
  std::size_t runs = 0;
};

// Runs both sides (keeping finished runs in --db if interrupted), compares them and merges
// the runs into --db. Returns the exit code on failure.
Result<CompareOutcome, int> run_sides(const CompareOptions& o, const ComparePlan& plan) {
  const auto& sides = plan.sides;
  const std::uint64_t seeds = plan.seeds;
  const int jobs = plan.jobs;
  auto tmp = make_temp_dir("timesim-compare");
  if (!tmp) return fail(1, tmp.error().message);
  RemoveOnExit cleanup{*tmp};
  std::vector<SeedJob> jobs_list;
  std::vector<analysis::MergeInput> merge_inputs;
  for (std::size_t s = 0; s < 2; ++s)
    for (std::uint64_t k = 0; k < seeds; ++k) {
      SeedJob j;
      j.scenario = sides[s].scenario;
      j.seed = sides[s].seed_base + k;
      j.db = fmt::format("{}/{}-{}.db", *tmp, s == 0 ? 'A' : 'B', j.seed);
      j.duration = o.duration;
      j.all_version = sides[s].version;
      jobs_list.push_back(j);
      merge_inputs.push_back({j.db, s == 0 ? "A" : "B", sides[s].label, j.seed});
    }
  if (!o.json)
    fmt::print(stderr, "compare: {} runs ({} seeds x 2), {} at a time\n", jobs_list.size(), seeds,
               jobs);
  const auto outcome = run_seed_jobs(jobs_list, jobs);
  if (!outcome.ok()) {  // keep what finished: an interrupted compare is not wasted
    std::string kept;
    if (!o.db.empty() && outcome.finished_count > 0) {
      if (auto ok = fold_finished(o.db, merge_inputs, outcome); !ok)
        return fail(1, ok.error().message);
      kept = "; their runs are in " + o.db;
    }
    return fail(1, outcome.summary() + kept);
  }

  std::vector<analysis::RunMetrics> runs[2];
  for (std::size_t i = 0; i < jobs_list.size(); ++i) {
    auto m = analysis::metrics_of_file(jobs_list[i].db);
    if (!m) return fail(1, m.error().message);
    if (m->size() != 1) return fail(1, "'" + jobs_list[i].db + "' should hold exactly one run");
    runs[i < seeds ? 0 : 1].push_back(std::move(m->front()));
  }
  const auto rows = analysis::compare_runs(runs[0], runs[1], o.min_effect_pct / 100);
  std::vector<analysis::ThresholdCheck> checks;
  bool regression = false;
  for (const auto& t : plan.thresholds) {
    checks.push_back(analysis::check_threshold(t, rows[static_cast<std::size_t>(t.metric)]));
    regression = regression || checks.back().triggered;
  }
  if (!o.db.empty()) {
    if (auto ok = analysis::merge_results(o.db, merge_inputs); !ok)
      return fail(1, ok.error().message);
  }

  return CompareOutcome{rows, std::move(checks), regression, jobs_list.size()};
}

void print_outcome(const CompareOptions& o, const ComparePlan& plan, const CompareOutcome& out) {
  const auto& sides = plan.sides;
  const std::uint64_t seeds = plan.seeds;
  const auto& rows = out.rows;
  const auto& checks = out.checks;
  const bool regression = out.regression;
  const std::string seeds_a =
      fmt::format("{}..{}", sides[0].seed_base, sides[0].seed_base + seeds - 1);
  const std::string seeds_b =
      fmt::format("{}..{}", sides[1].seed_base, sides[1].seed_base + seeds - 1);
  if (o.json) {
    nlohmann::json j;
    j["a"] = {{"label", sides[0].label}, {"scenario", sides[0].scenario}, {"seeds", seeds_a}};
    j["b"] = {{"label", sides[1].label}, {"scenario", sides[1].scenario}, {"seeds", seeds_b}};
    if (!sides[0].version.empty()) j["a"]["version"] = sides[0].version;
    if (!sides[1].version.empty()) j["b"]["version"] = sides[1].version;
    j["seeds"] = seeds;
    j["metrics"] = nlohmann::json::array();
    for (const auto& r : rows)
      j["metrics"].push_back(analysis::comparison_json(r));
    j["fail_if"] = nlohmann::json::array();
    for (const auto& c : checks)
      j["fail_if"].push_back(
          {{"threshold", c.threshold.text}, {"triggered", c.triggered}, {"detail", c.detail}});
    j["regression"] = regression;
    if (!o.db.empty()) j["db"] = o.db;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("A: {} ({}) seeds {}\nB: {} ({}) seeds {}\n\n", sides[0].label, sides[0].scenario,
               seeds_a, sides[1].label, sides[1].scenario, seeds_b);
    fmt::print("{}", analysis::format_comparison(rows));
    if (!checks.empty()) fmt::print("\n");
    for (const auto& c : checks)
      fmt::print("fail-if {:<40} {}  {}\n", "'" + c.threshold.text + "'",
                 c.triggered ? "REGRESSION" : "ok", c.detail);
    if (!o.db.empty())
      fmt::print("\nresults: {} ({} runs; table compare_runs says which side)\n", o.db, out.runs);
  }
  std::fflush(stdout);
}

int run_compare(const CompareOptions& o) {
  auto plan = plan_compare(o);
  if (!plan) return fail(2, plan.error().message);
  auto out = run_sides(o, *plan);
  if (!out) return out.error();
  print_outcome(o, *plan, *out);
  return out->regression ? 1 : 0;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand("compare", "compare two scenarios (or versions) over many seeds");
  cmd->add_option("scenarios", o->scenarios, "A.yaml B.yaml, or one scenario with --versions")
      ->required();
  cmd->add_option("--versions", o->versions,
                  "X,Y: run the one scenario with every node on X, then on Y");
  cmd->add_option("--seeds", o->seeds,
                  "N runs per side (seeds base..base+N-1; default 20), or a seed range A..B");
  o->seed_base_opt =
      cmd->add_option("--seed-base", o->seed_base,
                      "first seed for --seeds N (default 1): seeds are base..base+N-1")
          ->check(non_negative_integer());
  o->seed_base_b_opt = cmd->add_option("--seed-base-b", o->seed_base_b,
                                       "first seed of side B (default: the same seeds as A)")
                           ->check(non_negative_integer());
  cmd->add_option("-j,--jobs", o->jobs, "runs at a time, 1..256 (default: the number of cores)")
      ->check(jobs_range());
  cmd->add_option("--duration", o->duration, "virtual time per run (default: each scenario's)");
  cmd->add_option("--fail-if", o->fail_if,
                  "'METRIC OP VALUE', e.g. 'churn_per_link_hour > +5%': exit 1 when B is "
                  "significantly past it (repeatable)");
  cmd->add_option("--min-effect", o->min_effect_pct,
                  "smallest change, in % of A's mean, that counts as a difference (default 1)");
  cmd->add_flag("--json", o->json, "print the comparison as JSON");
  cmd->add_option("--db", o->db,
                  "also write every run into this new results DB (an existing non-empty file is "
                  "refused; an interrupted compare keeps the finished runs in it)");
  return Command{cmd, [o] { return run_compare(*o); }};
}

}  // namespace ts::cli
