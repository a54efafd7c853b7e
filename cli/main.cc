// timesim command line. The only place that throws or catches exceptions.
//
// Exit codes: 0 run finished; 1 run failed (I/O, DB, invariant); 2 bad usage or input.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>

#include "sim/recorder.h"
#include "sim/scenario.h"
#include "sim/summary.h"
#include "sim/world.h"

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted.store(true); }

int fail(int code, const std::string& msg) {
  std::fprintf(stderr, "timesim: %s\n", msg.c_str());
  return code;
}

struct RunOptions {
  std::string scenario;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string duration;
  std::string db;
  bool quiet = false;
};

int run_scenario(const RunOptions& o, const std::string& args) {
  auto sc = ts::sim::load_scenario_file(o.scenario);
  if (!sc) return fail(2, sc.error().message);
  if (o.seed_given) sc->seed = o.seed;
  if (!o.duration.empty()) {
    auto d = ts::sim::parse_duration(o.duration);
    if (!d) return fail(2, "--duration: " + d.error().message);
    sc->duration_ns = *d;
  }
  std::string db_path = o.db;
  if (db_path.empty()) {
    db_path = fmt::format("results/runs/{}-seed{}.db", sc->name, sc->seed);
    std::error_code ec;
    std::filesystem::create_directories("results/runs", ec);
    if (ec) return fail(2, "cannot create results/runs: " + ec.message());
  }
  auto rec = ts::sim::Recorder::open(db_path);
  if (!rec) return fail(2, rec.error().message);
  ts::sim::RunInfo info;
  info.scenario_name = sc->name;
  info.scenario_path = o.scenario;
  info.scenario_hash = sc->text_hash;
  info.seed = sc->seed;
  info.duration_ns = sc->duration_ns;
  info.args = args;
  auto run_id = (*rec)->begin_run(info);
  if (!run_id) return fail(1, run_id.error().message);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto t0 = std::chrono::steady_clock::now();
  ts::sim::World world(*sc, sc->seed, rec->get());
  auto stats = world.run(sc->duration_ns, &g_interrupted);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ts::sim::RunTotals totals;
  if (stats) {
    totals.events = stats->events;
    totals.end_ns = stats->end_ns;
  }
  totals.wall_seconds = wall;
  const bool interrupted = stats && stats->interrupted;
  auto ended = (*rec)->end_run(!stats ? "failed" : interrupted ? "interrupted" : "complete", totals);
  if (!stats) return fail(1, stats.error().message);
  if (!ended) return fail(1, ended.error().message);

  auto summary = ts::sim::summarize((*rec)->db(), *run_id);
  if (!summary) return fail(1, summary.error().message);
  if (!o.quiet) {
    ts::sim::print_summary(stdout, *summary);
  } else {
    fmt::print("links: {} cycling, {} stable, {} flapping, {} down · {} connections · {} protocol errors\n",
               summary->cycling, summary->stable, summary->flapping, summary->down,
               summary->connections, summary->protocol_errors);
  }
  fmt::print("results: {} (run {})\n", db_path, *run_id);
  // Wall-clock figures go to stderr so stdout stays identical for identical inputs.
  fmt::print(stderr, "{} events in {:.3f} s wall ({:.2f} M events/s)\n", stats->events, wall,
             wall > 0 ? static_cast<double>(stats->events) / wall / 1e6 : 0.0);
  if (interrupted) return fail(1, "interrupted: the run is recorded with status 'interrupted'");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"timesim: deterministic multi-node testnet simulator for the TIME Coin P2P protocol"};
  app.set_version_flag("--version", TIMESIM_VERSION);
  RunOptions o;
  app.add_option("scenario", o.scenario, "scenario YAML (e.g. topologies/six_nodes.yaml)")
      ->required();
  auto* seed = app.add_option("--seed", o.seed, "PRNG seed (overrides the scenario's)");
  app.add_option("--duration", o.duration, "virtual time to simulate, e.g. 90s, 1h, 24h");
  app.add_option("--db", o.db, "results DB path (default results/runs/<scenario>-seed<N>.db)");
  app.add_flag("-q,--quiet", o.quiet, "print only the one-line totals");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(2, e.what());
  }
  o.seed_given = seed->count() > 0;
  std::string args;
  for (int i = 1; i < argc; ++i) args += (i > 1 ? " " : "") + std::string(argv[i]);
  try {
    return run_scenario(o, args);
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
}
