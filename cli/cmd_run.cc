// `timesim run SCENARIO.yaml` (also the bare form `timesim SCENARIO.yaml`): simulate one
// scenario, record it to SQLite and print the per-link and per-version-pair tables.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "cli/command.h"
#include "sim/pcap_writer.h"
#include "sim/recorder.h"
#include "sim/scenario.h"
#include "sim/summary.h"
#include "sim/world.h"

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
};

int run_scenario(const RunOptions& o) {
  auto sc = load_scenario_with_overrides(o.scenario, o.seed_opt, o.seed, o.duration);
  if (!sc) return fail(2, sc.error().message);
  if (!o.all_version.empty()) {
    const auto* profile = node::find_profile(o.all_version);
    if (!profile) return fail(2, "--all-version: unknown version '" + o.all_version + "'");
    for (auto& n : sc->nodes)
      n.profile = profile;
  }
  std::string db_path = o.db;
  if (db_path.empty()) {
    db_path = fmt::format("results/runs/{}-seed{}.db", sc->name, sc->seed);
    std::error_code ec;
    std::filesystem::create_directories("results/runs", ec);
    if (ec) return fail(2, "cannot create results/runs: " + ec.message());
  }
  std::unique_ptr<sim::PcapWriter> pcap;
  if (!o.pcap.empty()) {
    auto p = sim::PcapWriter::open(o.pcap, *sc);
    if (!p) return fail(2, p.error().message);
    pcap = std::move(*p);
  }
  if (o.force) {  // replace the DB deliberately (default: append a new run to it)
    std::error_code ec;
    if (std::filesystem::is_directory(db_path, ec))
      return fail(2, "--force: '" + db_path + "' is a directory");
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(db_path + suffix, ec);
      if (ec) return fail(2, "--force: cannot remove '" + db_path + suffix + "': " + ec.message());
    }
  }
  auto rec = sim::Recorder::open(db_path);
  if (!rec) return fail(2, rec.error().message);
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
  sim::World world(*sc, sc->seed, rec->get());
  if (pcap) world.set_wire_observer(pcap.get());
  auto stats = world.run(sc->duration_ns, &g_interrupted);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sim::RunTotals totals;
  if (stats) {
    totals.events = stats->events;
    totals.end_ns = stats->end_ns;
    totals.fingerprint = stats->fingerprint;
  }
  totals.wall_seconds = wall;
  const bool interrupted = stats && stats->interrupted;
  auto ended = (*rec)->end_run(!stats        ? "failed"
                               : interrupted ? "interrupted"
                                             : "complete",
                               totals);
  if (!stats) return fail(1, stats.error().message);
  if (!ended) return fail(1, ended.error().message);
  if (pcap) {
    if (auto ok = pcap->close(); !ok) return fail(1, o.pcap + ": " + ok.error().message);
  }

  auto summary = sim::summarize((*rec)->db(), *run_id);
  if (!summary) return fail(1, summary.error().message);
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
  if (interrupted) return fail(1, "interrupted: the run is recorded with status 'interrupted'");
  return 0;
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
  cmd->add_flag("--force", opts->force,
                "replace an existing results DB (default: append this run to it)");
  return Command{cmd, [opts] { return run_scenario(*opts); }};
}

}  // namespace ts::cli
