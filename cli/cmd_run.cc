// `timesim run SCENARIO.yaml` (also the bare form `timesim SCENARIO.yaml`): simulate one
// scenario, record it to SQLite and print the per-link and per-version-pair tables.
#include <fmt/core.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "analysis/link_accumulator.h"
#include "analysis/summary.h"
#include "cli/command.h"
#include "cli/output_path.h"
#include "hunt/property.h"
#include "scenario/scenario.h"
#include "sim/world.h"
#include "store/pcap_writer.h"
#include "store/recorder.h"

namespace ts::cli {
namespace {

struct RunOptions {
  std::string scenario;
  std::uint64_t seed = 0;
  CLI::Option* seed_opt = nullptr;
  std::string duration;
  std::string db;
  std::string all_version;
  std::string pcap;
  bool quiet = false;
  bool force = false;
  std::string record = "samples";
  bool progress = false;
  bool profile = false;
};

// A one-line progress report on stderr, rewritten in place at most 4 times a second.
class ProgressLine : public sim::ProgressSink {
 public:
  void on_progress(SimTime now, SimTime end, std::uint64_t events) override {
    const auto t = std::chrono::steady_clock::now();
    if (t - last_ < std::chrono::milliseconds(250)) return;
    last_ = t;
    const double wall = std::chrono::duration<double>(t - start_).count();
    const double frac = end > 0 ? static_cast<double>(now) / static_cast<double>(end) : 0;
    const double eta = frac > 0 ? wall * (1 - frac) / frac : 0;
    fmt::print(stderr, "\r[{} / {} simulated · {:5.1f}% · {:.2f} M events/s · ETA {:.0f} s]   ",
               sim::format_duration(now), sim::format_duration(end), 100 * frac,
               wall > 0 ? static_cast<double>(events) / wall / 1e6 : 0.0, eta);
    std::fflush(stderr);
    shown_ = true;
  }
  ~ProgressLine() override {
    if (shown_) fmt::print(stderr, "\r{:80}\r", "");
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
  bool shown_ = false;
};

// Everything a run needs, checked before any file is opened, created or removed.
struct RunPlan {
  sim::Scenario scenario;
  sim::RecordLevel level = sim::RecordLevel::kSamples;
  std::string db_path;
  bool make_runs_dir = false;              // the default DB path's results/runs/ must be created
  std::vector<hunt::Property> properties;  // the scenario's `properties:`, checked after the run
};

// Validates the whole command line and the scenario. No side effects: every output path
// is checked (cli/output_path.h), and an existing DB must be a timesim results DB, also
// with --force (which only then removes it).
Result<RunPlan> plan_run(const RunOptions& o) {
  RunPlan p;
  auto sc = load_scenario_with_overrides(o.scenario, o.seed_opt, o.seed, o.duration);
  if (!sc) return sc.error();
  p.scenario = std::move(*sc);
  auto props = hunt::parse_scenario_properties(o.scenario, p.scenario.properties);
  if (!props) return props.error();
  p.properties = std::move(*props);
  if (!o.all_version.empty()) {
    const auto* profile = p.scenario.find_version(o.all_version);
    if (!profile) return Error{"--all-version: unknown version '" + o.all_version + "'"};
    for (auto& n : p.scenario.nodes)
      n.profile = profile;
  }
  if (!sim::record_level_from_name(o.record, p.level))
    return Error{"--record: unknown level '" + o.record + "' (connections, samples or messages)"};
  p.db_path = o.db;
  if (p.db_path.empty()) {
    p.db_path = fmt::format("results/runs/{}-seed{}.db", p.scenario.name, p.scenario.seed);
    std::error_code ec;
    p.make_runs_dir = !std::filesystem::is_directory("results/runs", ec);
  }
  // A new results/runs/ cannot be checked for writability before it exists.
  if (!p.make_runs_dir) {
    if (auto ok = check_output_path(p.db_path, {o.scenario, o.pcap}, OutputKind::kResultsDb); !ok)
      return Error{"--db: " + ok.error().message};
    std::error_code ec;
    if (std::filesystem::file_size(p.db_path, ec) > 0 && !ec) {
      auto state = sim::inspect_results_db_file(p.db_path);
      if (!state) return state.error();
    }
  }
  if (!o.pcap.empty()) {
    auto others = results_db_files(p.db_path);
    others.push_back(o.scenario);
    if (auto ok = check_output_path(o.pcap, others, OutputKind::kPcap); !ok)
      return Error{"--pcap: " + ok.error().message};
  }
  return p;
}

// Creates results/runs/ if needed, removes the old DB for --force, opens the DB.
Result<std::unique_ptr<sim::Recorder>> open_db(const RunOptions& o, const RunPlan& p) {
  std::error_code ec;
  if (p.make_runs_dir) {
    std::filesystem::create_directories("results/runs", ec);
    if (ec) return Error{"cannot create results/runs: " + ec.message()};
  }
  if (o.force) {  // replace the DB deliberately (default: append a new run to it)
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(p.db_path + suffix, ec);
      if (ec) return Error{"--force: cannot remove '" + p.db_path + suffix + "': " + ec.message()};
    }
  }
  return sim::Recorder::open(p.db_path);
}

// The scenario's properties (docs/hunt.md), one line each on stdout; 1 if one is violated.
int check_properties(const std::vector<hunt::Property>& properties, sqlite3* db,
                     std::int64_t run_id) {
  std::string violated;
  for (const auto& p : properties) {
    auto v = hunt::evaluate(p, db, run_id);
    if (!v) return fail(1, v.error().message);
    fmt::print("property {}: {}\n", quote(p.text),
               v->violated ? "VIOLATED: " + v->detail
                           : (v->applicable ? "holds" : "holds (" + v->detail + ")"));
    if (v->violated && violated.empty()) violated = p.text;
  }
  std::fflush(stdout);
  if (!violated.empty()) return fail(1, "property " + quote(violated) + " is violated");
  return 0;
}

int run_scenario(const RunOptions& o) {
  // ---- validate everything, then create the outputs
  auto plan = plan_run(o);
  if (!plan) return fail(2, plan.error().message);
  const sim::Scenario* sc = &plan->scenario;
  const std::string& db_path = plan->db_path;
  // The summary's links, streamed as the rows are written (not read back after the run).
  // Declared before the Recorder, which writes to it until it is destroyed: an exception
  // unwinding (std::bad_alloc) destroys the Recorder, and its queued rows, first.
  auto links = sim::LinkAccumulator::stream();
  auto rec = open_db(o, *plan);
  if (!rec) return fail(2, rec.error().message);
  std::unique_ptr<sim::PcapWriter> pcap;
  if (!o.pcap.empty()) {
    auto p = sim::PcapWriter::open(o.pcap, *sc);
    if (!p) return fail(2, p.error().message);
    pcap = std::move(*p);
  }
  (*rec)->set_level(plan->level);
  (*rec)->set_timing(o.profile);
  sim::RunInfo info;
  info.scenario_name = sc->name;
  info.scenario_path = o.scenario;
  info.scenario_hash = sc->text_hash;
  info.seed = sc->seed;
  info.duration_ns = sc->duration_ns;
  info.args = g_command_line;
  auto run_id = (*rec)->begin_run(info);
  if (!run_id) return fail(1, run_id.error().message);

  const auto t0 = std::chrono::steady_clock::now();
  if (auto ok = (*rec)->observe_connection_rows(&links); !ok) return fail(1, ok.error().message);
  // The World is freed before the summary is built, so the two peaks do not add up.
  auto world_ptr = std::make_unique<sim::World>(*sc, sc->seed, rec->get());
  sim::World& world = *world_ptr;
  if (pcap) world.set_wire_observer(pcap.get());
  std::unique_ptr<ProgressLine> progress;
  if (o.progress || (!o.quiet && isatty(STDERR_FILENO))) {
    progress = std::make_unique<ProgressLine>();
    world.set_progress(progress.get());
  }
  auto stats = world.run(sc->duration_ns, &g_interrupted);
  progress.reset();
  world_ptr.reset();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sim::RunTotals totals;
  if (stats) {
    totals.events = stats->events;
    totals.end_ns = stats->end_ns;
    totals.fingerprint = stats->fingerprint;
  }
  totals.wall_seconds = wall;
  const bool interrupted = stats && stats->interrupted;
  const auto since = [](std::chrono::steady_clock::time_point from) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
  };
  const auto t_end_run = std::chrono::steady_clock::now();
  auto ended = (*rec)->end_run(!stats        ? "failed"
                               : interrupted ? "interrupted"
                                             : "complete",
                               totals);
  if (!stats) return fail(1, stats.error().message);
  if (!ended) return fail(1, ended.error().message);
  if (pcap) {
    if (auto ok = pcap->close(); !ok) return fail(1, o.pcap + ": " + ok.error().message);
  }

  const double end_run_s = since(t_end_run);
  const auto t_summary = std::chrono::steady_clock::now();
  auto summary = sim::summarize((*rec)->db(), *run_id, &links);
  if (!summary) return fail(1, summary.error().message);
  const double summary_s = since(t_summary);
  if (!o.quiet) {
    sim::print_summary(stdout, *summary);
  } else {
    fmt::print(
        "links: {} cycling, {} stable, {} flapping, {} down · {} connections · {} protocol "
        "errors\n",
        summary->cycling, summary->stable, summary->flapping, summary->down, summary->connections,
        summary->protocol_errors);
  }
  fmt::print("results: {} (run {})\n", db_path, *run_id);
  std::fflush(stdout);
  // Wall-clock figures go to stderr so stdout stays identical for identical inputs.
  fmt::print(stderr, "{} events in {:.3f} s wall ({:.2f} M events/s)\n", stats->events, wall,
             wall > 0 ? static_cast<double>(stats->events) / wall / 1e6 : 0.0);
  if (o.profile)
    fmt::print(stderr,
               "SQLite: {:.3f} s (rows on the writer thread, then ending the run) beside {:.3f} s "
               "wall ({:.1f} %), the loop waited {:.3f} s for it, --record {}\n",
               (*rec)->sqlite_seconds(), wall,
               wall > 0 ? 100 * (*rec)->sqlite_seconds() / wall : 0.0,
               (*rec)->writer_wait_seconds(), o.record);
  if (o.profile)
    fmt::print(stderr, "after the loop: {:.3f} s ending the run (indexes), {:.3f} s summary\n",
               end_run_s, summary_s);
  if (interrupted) return fail(1, "interrupted: the run is recorded with status 'interrupted'");
  return check_properties(plan->properties, (*rec)->db(), *run_id);
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "simulate a scenario (the default command)");
  cmd->add_option("scenario", opts->scenario, "scenario YAML (e.g. topologies/six_nodes.yaml)")
      ->required();
  opts->seed_opt = cmd->add_option("--seed", opts->seed, "PRNG seed (overrides the scenario's)")
                       ->check(non_negative_integer());
  cmd->add_option("--duration", opts->duration, "virtual time to simulate, e.g. 90s, 1h, 24h");
  cmd->add_option("--db", opts->db, "results DB path (default results/runs/<scenario>-seed<N>.db)");
  cmd->add_option("--all-version", opts->all_version,
                  "run every node on this version profile (e.g. pre-fix), overriding the scenario");
  cmd->add_option("--pcap", opts->pcap, "also write the simulated TCP streams as a pcap file");
  cmd->add_flag("-q,--quiet", opts->quiet, "print only the one-line totals");
  cmd->add_option("--record", opts->record,
                  "what to record: connections, samples (default) or messages (docs/schema.md)");
  cmd->add_flag("--progress", opts->progress,
                "progress line on stderr even when it is not a terminal");
  cmd->add_flag("--profile", opts->profile,
                "report the wall time spent in SQLite, ending the run and summarizing (stderr)");
  cmd->add_flag("--force", opts->force,
                "replace an existing results DB (default: append this run to it)");
  return Command{cmd, [opts] { return run_scenario(*opts); }};
}

}  // namespace ts::cli
