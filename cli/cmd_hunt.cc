// `timesim hunt SCENARIO.yaml --property P --seeds A..B [--jobs J] [--budget 10m]`: runs the
// scenario's chaos over the seeds (child runs, J at a time, as `sweep` does) until a run
// violates a property, then shrinks that run's fault schedule to a 1-minimal one
// (hunt/shrink.h) and writes it as a standalone scenario, hunt-<property>-<seed>.yaml, that
// `timesim run` reproduces. docs/hunt.md. Exit 1 when a violation was found, 0 when none was
// in the seeds searched, 2 for bad input.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/command.h"
#include "cli/seed_runner.h"
#include "common/atomic_file.h"
#include "hunt/oracle.h"
#include "hunt/property.h"
#include "hunt/schedule.h"
#include "hunt/search.h"
#include "hunt/shrink.h"
#include "store/results_db.h"

namespace ts::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// First line of every file hunt writes: an existing file is replaced (--force) only if it
// starts with it.
constexpr std::string_view kMarker = "# timesim hunt:";

struct HuntOptions {
  std::string scenario;
  std::vector<std::string> properties;
  std::string seeds;
  int jobs = 0;
  std::string budget;
  std::string duration;
  std::string out_dir = ".";
  bool force = false;
};

// Everything the hunt needs, validated before anything runs.
struct HuntPlan {
  sim::Scenario scenario;
  std::string text;  // the scenario file's bytes
  std::vector<hunt::Property> properties;
  std::uint64_t first = 0, last = 0;
  int jobs = 1;
  Duration budget_ns = 0;  // 0: none
};

Result<std::vector<hunt::Property>> command_line_properties(const std::vector<std::string>& ps) {
  std::vector<hunt::Property> out;
  for (std::size_t k = 0; k < ps.size(); ++k) {
    auto p = hunt::parse_property(ps[k], [&](std::size_t offset) {
      return fmt::format("--property #{}, column {}: ", k + 1, offset + 1);
    });
    if (!p) return p.error();
    out.push_back(std::move(*p));
  }
  return out;
}

Result<HuntPlan> plan_hunt(const HuntOptions& o) {
  HuntPlan p;
  auto sc = load_scenario_with_overrides(o.scenario, nullptr, 0, o.duration);
  if (!sc) return sc.error();
  p.scenario = std::move(*sc);
  std::ifstream in(o.scenario, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  p.text = buf.str();
  auto from_file = hunt::parse_scenario_properties(o.scenario, p.scenario.properties);
  if (!from_file) return from_file.error();
  auto given = command_line_properties(o.properties);
  if (!given) return given.error();
  p.properties = std::move(*from_file);
  for (auto& q : *given)
    p.properties.push_back(std::move(q));
  if (p.properties.empty())
    return Error{"no property to hunt for: give --property P or a `properties:` list"};
  if (o.seeds.empty()) {
    p.first = p.last = p.scenario.seed;
  } else {
    auto r = parse_seed_range(o.seeds);
    if (!r) return r.error();
    std::tie(p.first, p.last) = *r;
  }
  if (!o.budget.empty()) {
    auto b = sim::parse_duration(o.budget);
    if (!b) return Error{"--budget: " + b.error().message};
    p.budget_ns = *b;
  }
  p.jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::error_code ec;
  if (!fs::is_directory(o.out_dir, ec))
    return Error{"--out-dir: " + quote(o.out_dir) + " is not a directory"};
  if (::access(o.out_dir.c_str(), W_OK) != 0)
    return Error{"--out-dir: " + quote(o.out_dir) + " is not writable"};
  return p;
}

// Runs candidate texts as `timesim run` children in a private directory; a text's run is
// judged against `properties`.
class ChildOracle : public hunt::Oracle {
 public:
  ChildOracle(std::string dir, int jobs, std::vector<hunt::Property> properties)
      : dir_(std::move(dir)), jobs_(jobs), properties_(std::move(properties)) {}

  // The DB of a text already run ("" if none).
  std::string db_of(const std::string& text) const {
    auto it = dbs_.find(text);
    return it == dbs_.end() ? "" : it->second;
  }

 protected:
  std::vector<hunt::Trial> run_batch(const std::vector<std::string>& texts) override {
    std::vector<SeedJob> jobs;
    std::vector<hunt::Trial> out(texts.size());
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const std::string base = fmt::format("{}/c{}", dir_, next_++);
      auto sc = sim::parse_scenario(texts[i], base + ".yaml");
      if (!sc) {  // not worth a process
        out[i] = {hunt::Outcome::kInvalid, sc.error().message};
        continue;
      }
      std::ofstream(base + ".yaml", std::ios::binary) << texts[i];
      jobs.push_back(SeedJob{base + ".yaml", sc->seed, base + ".db", "", ""});
      index.push_back(i);
      dbs_[texts[i]] = base + ".db";
    }
    const auto outcome = run_seed_jobs(jobs, jobs_, /*keep_going=*/true);
    for (std::size_t k = 0; k < jobs.size(); ++k)
      out[index[k]] = g_interrupted.load()
                          ? hunt::Trial{hunt::Outcome::kFailed, "interrupted"}
                          : hunt::judge_run_db(jobs[k].db, outcome.exit_code[k], properties_);
    return out;
  }

 private:
  std::string dir_;
  int jobs_;
  std::vector<hunt::Property> properties_;
  std::map<std::string, std::string> dbs_;
  std::size_t next_ = 0;
};

std::string format_eta(double s) {
  if (s >= 3600) return fmt::format("{:.1f} h", s / 3600);
  if (s >= 60) return fmt::format("{:.1f} min", s / 60);
  return fmt::format("{:.0f} s", s);
}

// The search: batches of 2 x jobs seeds; a progress line on stderr after each.
hunt::SearchResult run_search(const HuntOptions& o, const HuntPlan& p, const std::string& tmp) {
  const auto t0 = Clock::now();
  const bool tty = isatty(STDERR_FILENO);
  hunt::SearchHooks hooks;
  hooks.run = [&](const std::vector<std::uint64_t>& seeds) {
    std::vector<SeedJob> jobs;
    for (auto s : seeds)
      jobs.push_back(SeedJob{o.scenario, s, fmt::format("{}/seed-{}.db", tmp, s), o.duration, ""});
    const auto outcome = run_seed_jobs(jobs, p.jobs, /*keep_going=*/true);
    std::vector<hunt::Trial> trials;
    for (std::size_t k = 0; k < jobs.size(); ++k)
      trials.push_back(hunt::judge_run_db(jobs[k].db, outcome.exit_code[k], p.properties));
    return trials;
  };
  hooks.stop = [&] {
    const auto spent = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0);
    return g_interrupted.load() || (p.budget_ns > 0 && spent.count() >= p.budget_ns);
  };
  hooks.progress = [&](const hunt::SearchProgress& s) {
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double rate = wall > 0 ? static_cast<double>(s.tried) / wall : 0;
    const double eta = rate > 0 ? static_cast<double>(s.total - s.tried) / rate : 0;
    fmt::print(stderr,
               "{}hunt: {}/{} seeds tried · {} failing · {} errors · {:.2f} runs/s · ETA {}{}",
               tty ? "\r" : "", s.tried, s.total, s.failures, s.errors, rate, format_eta(eta),
               tty ? "   " : "\n");
    std::fflush(stderr);
  };
  auto r = hunt::search_seeds(p.first, p.last, static_cast<std::size_t>(2 * p.jobs), hooks);
  if (tty) fmt::print(stderr, "\n");
  return r;
}

// The last node_events rows of the run in `db` up to `t_ns`: what happened as the property
// broke.
std::string events_before(const std::string& db, SimTime t_ns) {
  auto opened = sim::open_results_db_for_reading(db);
  if (!opened) return "";
  auto q = opened->prepare(
      "SELECT e.t_ns, COALESCE(n.name, e.node), e.kind, e.detail FROM node_events e "
      "LEFT JOIN nodes n ON n.run_id = e.run_id AND n.node_id = e.node "
      "WHERE e.t_ns <= ?1 ORDER BY e.t_ns DESC LIMIT 3");
  if (!q) return "";
  q->bind(1, t_ns);
  std::string out;
  while (q->next())
    out += fmt::format("  event before it: t={} node {} {} {}\n", sim::format_duration(q->int64(0)),
                       q->text(1), q->text(2), q->text(3));
  return out;
}

// Writes the shrunk scenario; an existing file is replaced only with --force and only if an
// earlier hunt wrote it (its first line starts with kMarker).
Result<bool> write_found(const std::string& path, const std::string& text, bool force) {
  std::error_code ec;
  const auto st = fs::symlink_status(path, ec);
  if (fs::exists(st)) {
    if (!fs::is_regular_file(st))
      return Error{quote(path) + " exists and is not a regular file; refusing to replace it"};
    if (!force) return Error{quote(path) + " exists; use --force to replace it"};
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    if (first.rfind(kMarker, 0) != 0)
      return Error{quote(path) + " was not written by timesim hunt; refusing to replace it"};
  }
  auto f = AtomicFile::create(path);
  if (!f) return f.error();
  std::fputs(text.c_str(), (*f)->file());
  return (*f)->commit();
}

// Shrinks the failing seed's schedule, writes the scenario and prints the outcome. Returns
// the exit code (1: a violation, found and written).
int shrink_and_write(const HuntOptions& o, const HuntPlan& p, const std::string& tmp,
                     const hunt::SearchResult& found) {
  const std::uint64_t seed = *found.seed;
  // The property to keep violated while shrinking: the first one this run violates.
  const hunt::Property* target = nullptr;
  for (const auto& q : p.properties)
    if (!target && found.trial.detail.rfind(quote(q.text) + ":", 0) == 0) target = &q;
  if (!target) return fail(1, "internal: the violated property is not one of the hunt's");
  auto writer = hunt::ScenarioWriter::make(p.text, o.scenario);
  if (!writer) return fail(2, writer.error().message);
  auto faults = hunt::faults_of_run(*writer, fmt::format("{}/seed-{}.db", tmp, seed), 1);
  if (!faults) return fail(1, faults.error().message);
  hunt::Schedule start;
  for (std::uint32_t n = 0; n < p.scenario.nodes.size(); ++n)
    start.nodes.push_back(n);
  start.faults = *faults;
  start.duration_ns = p.scenario.duration_ns;

  const std::string name = "hunt-" + hunt::property_slug(*target) + "-" + std::to_string(seed);
  ChildOracle oracle(tmp, p.jobs, {*target});
  hunt::Shrinker shrinker(
      *writer, seed, name, {target->text}, oracle, p.jobs,
      [](const std::string& line) { fmt::print(stderr, "shrink: {}\n", line); });
  auto shrunk = shrinker.shrink(start);
  if (g_interrupted.load()) return fail(1, "interrupted");
  if (!shrunk) return fail(1, shrunk.error().message);
  const std::size_t shrink_runs = oracle.runs(), shrink_hits = oracle.cache_hits();
  const std::string header = fmt::format(
      "{} {} seed {} violates {}\n"
      "found in {} (seeds {}..{}), shrunk from {} fault(s) and {} node(s) in {} runs.\n"
      "reproduce: timesim run {}.yaml",
      kMarker.substr(2), name, seed, "'" + escape_control(target->text) + "'", o.scenario, p.first,
      p.last, start.faults.size(), start.nodes.size(), shrink_runs, name);
  const std::string text = shrinker.text(*shrunk, header);
  if (oracle.judge({text})[0].outcome != hunt::Outcome::kViolated)
    return fail(1, "internal: the shrunk scenario does not reproduce the violation");
  const std::string path = (fs::path(o.out_dir) / (name + ".yaml")).string();
  if (auto ok = write_found(path, text, o.force); !ok) return fail(2, ok.error().message);
  fmt::print("shrunk: faults {} -> {}, nodes {} -> {}, in {} runs ({} answered from the cache)\n",
             start.faults.size(), shrunk->faults.size(), start.nodes.size(), shrunk->nodes.size(),
             shrink_runs, shrink_hits);

  hunt::Schedule at_first = *shrunk;
  at_first.duration_ns = shrinker.first_violation(*shrunk);
  const std::string first_text = shrinker.text(at_first);
  const auto first_trial = oracle.judge({first_text})[0];
  fmt::print("first violated at t={} s (the shortest run that violates it; {} more runs): {}\n",
             at_first.duration_ns / kSecond, oracle.runs() - shrink_runs - 1, first_trial.detail);
  fmt::print("{}", events_before(oracle.db_of(first_text), at_first.duration_ns));
  fmt::print("wrote {}; reproduce: timesim run {}\n", path, path);
  return 1;
}

int hunt_main(const HuntOptions& o) {
  auto plan = plan_hunt(o);
  if (!plan) return fail(2, plan.error().message);
  const HuntPlan& p = *plan;
  auto tmp = make_temp_dir("timesim-hunt");
  if (!tmp) return fail(1, tmp.error().message);
  RemoveOnExit cleanup{*tmp};
  const auto t0 = Clock::now();
  fmt::print(stderr, "hunt: {} · seeds {}..{} · {} at a time{}\n", p.scenario.name, p.first, p.last,
             p.jobs, p.budget_ns ? " · budget " + sim::format_duration(p.budget_ns) : "");
  const auto found = run_search(o, p, *tmp);
  if (g_interrupted.load()) return fail(1, "interrupted");
  const double search_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!found.seed) {
    fmt::print("hunt {}: no violation in {} of {} seed(s) ({}..{}){}\n", p.scenario.name,
               found.progress.tried, found.progress.total, p.first, p.last,
               found.stopped ? "; the budget ran out first" : "");
    fmt::print(stderr, "hunt: searched for {:.1f} s wall\n", search_s);
    return 0;
  }
  fmt::print("hunt {}: seed {} violates {} ({} of {} seeds tried)\n", p.scenario.name, *found.seed,
             found.trial.detail, found.progress.tried, found.progress.total);
  const int code = shrink_and_write(o, p, *tmp, found);
  fmt::print(stderr, "hunt: {:.1f} s wall ({:.1f} s searching)\n",
             std::chrono::duration<double>(Clock::now() - t0).count(), search_s);
  return code;
}

}  // namespace

Command add_hunt_command(CLI::App& app) {
  auto o = std::make_shared<HuntOptions>();
  auto* cmd = app.add_subcommand(
      "hunt", "search chaos seeds for a property violation and shrink it to a minimal scenario");
  cmd->add_option("scenario", o->scenario, "scenario YAML (with chaos:)")->required();
  cmd->add_option("--property", o->properties,
                  "what must hold, e.g. 'forked_heights == 0' or 'sql: SELECT ...' (repeatable)")
      ->allow_extra_args(false);  // one property per --property: a scenario after it stays one
  cmd->add_option("--seeds", o->seeds, "N (the seeds 1..N) or A..B (default: the scenario's seed)");
  cmd->add_option("--jobs", o->jobs, "runs at a time, 1..256 (default: the number of cores)")
      ->check(jobs_range());
  cmd->add_option("--budget", o->budget, "wall-clock limit on the search, e.g. 10m");
  cmd->add_option("--duration", o->duration, "virtual time per run, e.g. 2h");
  cmd->add_option("--out-dir", o->out_dir, "where the shrunk scenario goes (default .)");
  cmd->add_flag("--force", o->force, "replace an earlier hunt's file of the same name");
  return Command{cmd, [o] { return hunt_main(*o); }};
}

}  // namespace ts::cli
