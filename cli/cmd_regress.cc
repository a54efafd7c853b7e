// `timesim regress [BASELINE.json ...]`: re-runs the scenarios listed in regression
// baselines (default: every results/baselines/*.json) and compares them with the stored
// results, like OMNeT++'s baseline tests:
//   - statistically: each metric's stored mean/sd/n against the new runs (Welch), gated
//     by the baseline's `fail_if` thresholds (same syntax as `compare --fail-if`);
//   - exactly: each seed's event-trace fingerprint (runs.fingerprint) must be unchanged,
//     which catches any determinism or behaviour change (`--no-fingerprint` skips it).
// `--update` re-runs and rewrites the stored metrics and fingerprints instead.
// Exit 0 all pass, 1 a regression or fingerprint change, 2 bad input.
//
// Baseline file (docs/metrics.md):
//   {"scenario": "topologies/six_nodes.yaml", "version": null, "duration": "1h",
//    "seeds": {"base": 1, "count": 10}, "fail_if": ["churn_per_link_hour > +5%"],
//    "metrics": {"churn_per_link_hour": {"n": 10, "mean": ..., "sd": ...}, ...},
//    "fingerprints": {"1": "0123456789abcdef", ...}}
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "analysis/compare.h"
#include "analysis/metrics.h"
#include "cli/command.h"
#include "cli/seed_runner.h"
#include "common/atomic_file.h"
#include "scenario/scenario.h"

namespace ts::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct RegressOptions {
  std::vector<std::string> baselines;
  std::string dir = "results/baselines";
  bool update = false;
  bool no_fingerprint = false;
  int jobs = 0;
};

struct Baseline {
  std::string path;
  json doc;
  std::string scenario;  // resolved path
  std::string version, duration;
  std::uint64_t seed_base = 1, seeds = 0;
  std::vector<analysis::Threshold> thresholds;
};

Result<Baseline> load_baseline(const std::string& path) {
  Baseline b;
  b.path = path;
  std::ifstream in(path);
  if (!in) return Error{"cannot read baseline '" + path + "'"};
  try {
    b.doc = json::parse(in);
  } catch (const std::exception& e) {
    return Error{path + ": not valid JSON: " + e.what()};
  }
  auto bad = [&](const std::string& why) { return Error{path + ": " + why}; };
  if (!b.doc.is_object()) return bad("expected a JSON object");
  if (!b.doc.contains("scenario") || !b.doc["scenario"].is_string())
    return bad("missing string 'scenario'");
  std::string sc = b.doc["scenario"];
  // Relative to the working directory, else to the repository holding results/baselines/.
  if (!fs::exists(sc)) {
    const fs::path alt = fs::path(path).parent_path().parent_path().parent_path() / sc;
    if (fs::exists(alt)) sc = alt.string();
  }
  auto loaded = sim::load_scenario_file(sc);
  if (!loaded) return bad(loaded.error().message);
  b.scenario = sc;
  if (b.doc.contains("version") && !b.doc["version"].is_null()) {
    if (!b.doc["version"].is_string() || !node::find_profile(b.doc["version"].get<std::string>()))
      return bad("'version' must be null or a known version profile");
    b.version = b.doc["version"];
  }
  if (b.doc.contains("duration") && !b.doc["duration"].is_null()) {
    if (!b.doc["duration"].is_string()) return bad("'duration' must be a string like \"1h\"");
    b.duration = b.doc["duration"];
    if (auto d = sim::parse_duration(b.duration); !d) return bad("duration: " + d.error().message);
  }
  const auto& seeds = b.doc.value("seeds", json::object());
  if (!seeds.is_object() || !seeds.contains("count") || !seeds["count"].is_number_unsigned())
    return bad("'seeds' must be {\"base\": N, \"count\": N}");
  b.seeds = seeds["count"];
  b.seed_base = seeds.value("base", std::uint64_t{1});
  if (b.seeds < 2) return bad("seeds.count must be at least 2");
  if (b.seeds > kMaxSeeds) return bad("seeds.count must be at most 10,000,000");
  if (b.seed_base > UINT64_MAX - (b.seeds - 1)) return bad("seeds.base + seeds.count overflows");
  for (const auto& t : b.doc.value("fail_if", json::array())) {
    if (!t.is_string()) return bad("'fail_if' must be a list of strings");
    auto th = analysis::parse_threshold(t.get<std::string>());
    if (!th) return bad(th.error().message);
    b.thresholds.push_back(*th);
  }
  return b;
}

// The baselines to check: --baseline files, or every *.json in --dir (sorted). Errors are
// usage errors (exit 2).
Result<std::vector<Baseline>> load_baselines(const RegressOptions& o) {
  std::vector<std::string> files = o.baselines;
  if (files.empty()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(o.dir, ec))
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    if (ec) return Error{"cannot list baselines in '" + o.dir + "': " + ec.message()};
    std::sort(files.begin(), files.end());
    if (files.empty()) return Error{"no baselines (*.json) in '" + o.dir + "'"};
  }
  std::vector<Baseline> baselines;
  for (const auto& f : files) {
    auto b = load_baseline(f);
    if (!b) return b.error();
    if (!o.update && (!b->doc.contains("metrics") || !b->doc.contains("fingerprints")))
      return Error{f + ": no stored results yet; create them with `timesim regress --update " + f +
                   "`"};
    baselines.push_back(std::move(*b));
  }
  return baselines;
}

// The baseline's seeds run now, one metrics row each.
Result<std::vector<analysis::RunMetrics>> run_baseline(const Baseline& b, int jobs) {
  auto tmp = make_temp_dir("timesim-regress");
  if (!tmp) return tmp.error();
  RemoveOnExit cleanup{*tmp};
  std::vector<SeedJob> jobs_list;
  for (std::uint64_t k = 0; k < b.seeds; ++k)
    jobs_list.push_back({b.scenario, b.seed_base + k,
                         fmt::format("{}/{}.db", *tmp, b.seed_base + k), b.duration, b.version});
  if (const auto r = run_seed_jobs(jobs_list, jobs); !r.ok())
    return Error{b.path + ": " + r.summary()};
  std::vector<analysis::RunMetrics> runs;
  for (const auto& j : jobs_list) {
    auto m = analysis::metrics_of_file(j.db);
    if (!m) return m.error();
    runs.push_back(std::move(m->front()));
  }
  return runs;
}

// --update: the baseline's stored metrics and fingerprints rewritten from `runs`.
Result<bool> update_baseline(Baseline& b, const std::vector<analysis::RunMetrics>& runs) {
  json metrics = json::object(), fps = json::object();
  for (int m = 0; m < static_cast<int>(analysis::metric_defs().size()); ++m) {
    const auto d = analysis::describe(analysis::metric_values(runs, m));
    if (d.n == 0) continue;
    metrics[std::string(analysis::metric_defs()[static_cast<std::size_t>(m)].name)] = {
        {"n", d.n}, {"mean", d.mean}, {"sd", d.sd}};
  }
  for (const auto& r : runs)
    fps[std::to_string(r.seed)] = r.fingerprint;
  b.doc["metrics"] = metrics;
  b.doc["fingerprints"] = fps;
  b.doc["timesim_version"] = TIMESIM_VERSION;
  // Through a temporary file: an interrupted update leaves the old baseline whole.
  auto out = AtomicFile::create(b.path);
  if (!out) return out.error();
  const std::string text = b.doc.dump(2) + "\n";
  if (std::fwrite(text.data(), 1, text.size(), (*out)->file()) != text.size())
    return Error{"cannot write '" + b.path + "'"};
  if (auto ok = (*out)->commit(); !ok) return ok.error();
  fmt::print("updated: {} metrics, {} fingerprints\n\n", metrics.size(), fps.size());
  return true;
}

// The stored metric `name` (mean, sd, n) with its Student-t 95 % interval.
analysis::Describe stored_metric(const json& doc, const std::string& name) {
  analysis::Describe stored;
  if (!doc["metrics"].contains(name)) return stored;
  const auto& s = doc["metrics"][name];
  stored.n = s.value("n", std::size_t{0});
  stored.mean = s.value("mean", 0.0);
  stored.sd = s.value("sd", 0.0);
  const double half = stored.n > 1
                          ? analysis::student_t_quantile(0.975, static_cast<double>(stored.n - 1)) *
                                stored.sd / std::sqrt(static_cast<double>(stored.n))
                          : 0;
  stored.ci_lo = stored.mean - half;
  stored.ci_hi = stored.mean + half;
  return stored;
}

// Stored (A) against now (B): the statistical table, the thresholds and (unless
// --no-fingerprint) every seed's fingerprint. True if anything regressed or changed.
bool check_baseline(const RegressOptions& o, const Baseline& b,
                    const std::vector<analysis::RunMetrics>& runs) {
  bool failed = false;
  std::vector<analysis::MetricComparison> rows;
  for (int m = 0; m < static_cast<int>(analysis::metric_defs().size()); ++m) {
    const std::string name(analysis::metric_defs()[static_cast<std::size_t>(m)].name);
    rows.push_back(analysis::compare_metric(m, stored_metric(b.doc, name),
                                            analysis::describe(analysis::metric_values(runs, m))));
  }
  fmt::print("A = stored baseline, B = this build\n{}", analysis::format_comparison(rows));
  for (const auto& t : b.thresholds) {
    const auto c = analysis::check_threshold(t, rows[static_cast<std::size_t>(t.metric)]);
    fmt::print("fail-if {:<40} {}  {}\n", "'" + t.text + "'", c.triggered ? "REGRESSION" : "ok",
               c.detail);
    failed = failed || c.triggered;
  }
  if (o.no_fingerprint) return failed;
  std::size_t same = 0;
  for (const auto& r : runs) {
    const std::string stored = b.doc["fingerprints"].value(std::to_string(r.seed), std::string());
    if (stored == r.fingerprint) {
      ++same;
    } else {
      fmt::print("fingerprint CHANGED for seed {}: stored {}, now {}\n", r.seed,
                 stored.empty() ? "-" : stored, r.fingerprint);
    }
  }
  fmt::print("fingerprints: {}/{} unchanged\n", same, runs.size());
  return failed || same != runs.size();
}

int run_regress(const RegressOptions& o) {
  auto baselines = load_baselines(o);
  if (!baselines) return fail(2, baselines.error().message);
  const int jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool failed = false;
  for (auto& b : *baselines) {
    auto runs = run_baseline(b, jobs);
    if (!runs) return fail(1, runs.error().message);
    fmt::print("== {} ({}{}, seeds {}..{})\n", b.path, b.doc["scenario"].get<std::string>(),
               b.version.empty() ? "" : " @ " + b.version, b.seed_base, b.seed_base + b.seeds - 1);
    if (o.update) {
      if (auto ok = update_baseline(b, *runs); !ok) return fail(1, ok.error().message);
      continue;
    }
    failed = check_baseline(o, b, *runs) || failed;
    fmt::print("\n");
  }
  std::fflush(stdout);
  if (!o.update) fmt::print("regress: {}\n", failed ? "FAILED" : "passed");
  return failed ? 1 : 0;
}

}  // namespace

Command add_regress_command(CLI::App& app) {
  auto o = std::make_shared<RegressOptions>();
  auto* cmd = app.add_subcommand(
      "regress", "re-run regression baselines and compare (statistics + fingerprints)");
  cmd->add_option("baselines", o->baselines,
                  "baseline JSON files (default: every *.json in --dir)");
  cmd->add_option("--dir", o->dir, "baseline directory (default results/baselines)");
  cmd->add_flag("--update", o->update, "re-run and rewrite the stored metrics and fingerprints");
  cmd->add_flag("--no-fingerprint", o->no_fingerprint, "compare statistics only");
  cmd->add_option("-j,--jobs", o->jobs, "runs at a time, 1..256 (default: the number of cores)")
      ->check(jobs_range());
  return Command{cmd, [o] { return run_regress(*o); }};
}

}  // namespace ts::cli
