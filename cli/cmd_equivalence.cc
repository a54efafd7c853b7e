// `timesim equivalence SCENARIO.yaml`: a driver-equivalence check. It runs the scenario in
// the simulator and live on loopback TCP with the same seed, and compares per link: class
// (exactly), connections, median lifetime, redial interval and ping interval (each within
// --tolerance, default 10 %). Exit 0 when every link agrees, 1 otherwise.
//
// What it shows and what it does not: live mode stamps every input with its due virtual time
// and draws each connection's latency from the simulator's own PRNG streams, so agreement
// shows that the libuv driver and the simulated links drive node_core identically (framing,
// partial reads, close ordering on real sockets). It is not evidence that node_core behaves
// like the real node; that comparison needs the real node's code (issue: fidelity --against real).
#include <fmt/core.h>

#include <cmath>
#include <memory>

#include "analysis/summary.h"
#include "cli/command.h"
#include "live/live_world.h"
#include "scenario/scenario.h"
#include "sim/world.h"
#include "store/recorder.h"

namespace ts::cli {
namespace {

struct EquivalenceOptions {
  std::string scenario, duration = "3m";
  std::uint64_t seed = 0;
  CLI::Option* seed_opt = nullptr;
  double time_scale = 0.05;
  double tolerance = 0.10;
};

Result<sim::RunSummary> run_mode(const sim::Scenario& sc, bool live, double scale) {
  auto rec = sim::Recorder::open(":memory:");
  if (!rec) return rec.error();
  sim::RunInfo info;
  info.scenario_name = sc.name;
  info.seed = sc.seed;
  info.duration_ns = sc.duration_ns;
  info.mode = live ? "live" : "sim";
  auto run_id = (*rec)->begin_run(info);
  if (!run_id) return run_id.error();
  Result<sim::RunStats> stats = Error{""};
  if (live) {
    live::LiveWorld w(sc, sc.seed, rec->get(), scale);
    stats = w.run(sc.duration_ns, &g_interrupted);
    fmt::print(
        "live host dispatch lateness: {:.2f} ms max, {:.3f} ms mean (protocol time; real time x "
        "{})\n",
        static_cast<double>(w.max_lateness_ns()) / 1e6,
        static_cast<double>(w.mean_lateness_ns()) / 1e6, scale);
  } else {
    sim::World w(sc, sc.seed, rec->get());
    stats = w.run(sc.duration_ns, &g_interrupted);
  }
  if (!stats) return stats.error();
  sim::RunTotals totals;
  totals.events = stats->events;
  totals.end_ns = sc.duration_ns;
  if (auto ok = (*rec)->end_run("complete", totals); !ok) return ok.error();
  return sim::summarize((*rec)->db(), *run_id);
}

// Relative agreement of two values; both undefined (< 0) agree.
bool close_enough(double a, double b, double tol) {
  if (a < 0 && b < 0) return true;
  if (a < 0 || b < 0) return false;
  const double m = std::max(std::abs(a), std::abs(b));
  return m == 0 || std::abs(a - b) / m <= tol;
}

std::string ms(Duration d) {
  return d < 0 ? "-" : fmt::format("{:.1f}", static_cast<double>(d) / 1e6);
}

int run_equivalence(const EquivalenceOptions& o) {
  auto sc = load_scenario_with_overrides(o.scenario, o.seed_opt, o.seed, o.duration);
  if (!sc) return fail(2, sc.error().message);
  if (!(o.time_scale > 0 && o.time_scale <= 100))
    return fail(2, "--time-scale must be in (0, 100]");
  if (auto ok = live::check_live_scenario(*sc); !ok)
    return fail(2, o.scenario + ": " + ok.error().message);
  auto sim_s = run_mode(*sc, false, o.time_scale);
  if (!sim_s) return fail(1, "sim run: " + sim_s.error().message);
  auto live_s = run_mode(*sc, true, o.time_scale);
  if (!live_s) return fail(1, "live run: " + live_s.error().message);
  fmt::print(
      "driver equivalence: {} · seed {} · {} of protocol time · live at scale {} · tolerance "
      "{:.0f}%\n",
      sc->name, sc->seed, sim::format_duration(sc->duration_ns), o.time_scale, o.tolerance * 100);
  fmt::print("{:<34} {:>17} {:>9} {:>17} {:>15} {:>15}  {}\n", "link (dialer -> listener)",
             "class sim/live", "conns", "median life ms", "redial ms", "ping ms", "verdict");
  int failures = 0;
  for (const auto& a : sim_s->links) {
    const sim::LinkSummary* b = nullptr;
    for (const auto& l : live_s->links)
      if (l.dialer == a.dialer && l.listener == a.listener) b = &l;
    bool ok = b != nullptr;
    std::string why;
    if (b) {
      auto check = [&](bool cond, const char* what) {
        if (!cond) {
          ok = false;
          why += std::string(why.empty() ? "" : ", ") + what;
        }
      };
      check(a.link_class == b->link_class, "class");
      check(close_enough(static_cast<double>(a.connections), static_cast<double>(b->connections),
                         o.tolerance),
            "connections");
      check(close_enough(static_cast<double>(a.median_lifetime_ns),
                         static_cast<double>(b->median_lifetime_ns), o.tolerance),
            "lifetime");
      check(close_enough(static_cast<double>(a.median_redial_gap_ns),
                         static_cast<double>(b->median_redial_gap_ns), o.tolerance),
            "redial");
      check(close_enough(static_cast<double>(a.ping_interval_ns),
                         static_cast<double>(b->ping_interval_ns), o.tolerance),
            "ping");
    } else {
      why = "no live connections";
    }
    failures += !ok;
    fmt::print(
        "{:<34} {:>17} {:>9} {:>17} {:>15} {:>15}  {}\n",
        fmt::format("{} -> {}", a.dialer_name, a.listener_name),
        fmt::format("{}/{}", a.link_class, b ? b->link_class : "-"),
        fmt::format("{}/{}", a.connections, b ? b->connections : 0),
        fmt::format("{}/{}", ms(a.median_lifetime_ns), b ? ms(b->median_lifetime_ns) : "-"),
        fmt::format("{}/{}", ms(a.median_redial_gap_ns), b ? ms(b->median_redial_gap_ns) : "-"),
        fmt::format("{}/{}", ms(a.ping_interval_ns), b ? ms(b->ping_interval_ns) : "-"),
        ok ? "ok" : "DIFFERS (" + why + ")");
  }
  fmt::print("{} of {} links agree\n", sim_s->links.size() - failures, sim_s->links.size());
  return failures == 0 ? 0 : 1;
}

}  // namespace

Command add_equivalence_command(CLI::App& app) {
  auto o = std::make_shared<EquivalenceOptions>();
  auto* cmd = app.add_subcommand(
      "equivalence",
      "driver equivalence: run a scenario in sim and live (same draws), compare per link");
  cmd->add_option("scenario", o->scenario, "scenario YAML")->required();
  cmd->add_option("--time-scale", o->time_scale,
                  "live mode's real seconds per protocol second (default 0.05)");
  cmd->add_option("--duration", o->duration, "protocol time to run (default 3m)");
  o->seed_opt = cmd->add_option("--seed", o->seed, "PRNG seed")->check(non_negative_integer());
  cmd->add_option("--tolerance", o->tolerance,
                  "relative tolerance for counts and intervals (default 0.10)");
  return Command{cmd, [o] { return run_equivalence(*o); }};
}

}  // namespace ts::cli
