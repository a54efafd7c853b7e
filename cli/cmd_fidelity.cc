// `timesim fidelity SCENARIO.yaml --against real.db`: runs the simulator on the scenario's
// topology with loopback latency for as long as the newest real run in real.db lasted, and
// compares per link (real/fidelity.h): class, connections, median lifetime, redial and ping
// intervals, and the protocol-error lines the nodes logged. Exit 0 when every link agrees
// within the tolerances, 1 otherwise, 2 on bad input.
//
// --model-override KEY=VALUE changes the model for every node (to show that the check can
// fail): any field of the profile table, e.g. reconnect.after_close=4s, handshake.first=true.
#include <fmt/core.h>
#include <fmt/format.h>

#include <deque>
#include <memory>

#include "analysis/summary.h"
#include "cli/command.h"
#include "node_core/profile_fields.h"
#include "real/address_plan.h"
#include "real/fidelity.h"
#include "scenario/scenario_versions.h"
#include "sim/world.h"
#include "store/recorder.h"
#include "store/results_db.h"

namespace ts::cli {
namespace {

struct FidelityOptions {
  std::string scenario, against, loopback_latency = "50us";
  std::int64_t run = 0;
  std::vector<std::string> overrides;
  real::Tolerances tol;
};

// Applies one KEY=VALUE override to `p`: KEY is any field of the profile field table
// (`timesim versions --fields`), VALUE as a scenario's `versions:` writes it. A string value
// is kept in `strings`. The error is ready for fail(2, ...).
Result<bool> apply_override(node::VersionProfile& p, const std::string& kv,
                            std::deque<std::string>& strings) {
  const auto eq = kv.find('=');
  const std::string key = kv.substr(0, eq),
                    value = eq == std::string::npos ? "" : kv.substr(eq + 1);
  const node::ProfileField* f = node::find_profile_field(key);
  if (f == nullptr)
    return Error{"--model-override: unknown key '" + key +
                 "' (a field of 'timesim versions --fields', e.g. reconnect.after_close=4s)"};
  if (auto r = sim::set_field_from_text(*f, value, p, strings); !r)
    return Error{"--model-override: " + r.error().message};
  return true;
}

std::string ms(Duration d) {
  return d < 0 ? "-" : fmt::format("{:.1f}", static_cast<double>(d) / 1e6);
}

void print_table(const std::vector<real::LinkVerdict>& vs) {
  fmt::print("{:<34} {:>42} {:>9} {:>19} {:>15} {:>15} {:>11}  {}\n", "link (dialer -> listener)",
             "class sim/real", "conns", "median life ms", "redial ms", "ping ms", "errs/conn",
             "verdict");
  for (const auto& v : vs) {
    auto pair = [&](auto get) {
      return fmt::format("{}/{}", v.sim ? get(*v.sim) : std::string("-"),
                         v.real ? get(*v.real) : std::string("-"));
    };
    std::string why;
    for (const auto& d : v.differs)
      why += (why.empty() ? "" : ", ") + d;
    fmt::print("{:<34} {:>42} {:>9} {:>19} {:>15} {:>15} {:>11}  {}\n",
               fmt::format("{} -> {}", v.dialer_ip, v.listener_ip),
               pair([](const real::LinkMetrics& m) { return m.link_class; }),
               pair([](const real::LinkMetrics& m) { return std::to_string(m.connections); }),
               pair([](const real::LinkMetrics& m) { return ms(m.median_lifetime_ns); }),
               pair([](const real::LinkMetrics& m) { return ms(m.redial_ns); }),
               pair([](const real::LinkMetrics& m) { return ms(m.ping_interval_ns); }),
               pair([](const real::LinkMetrics& m) {
                 return fmt::format("{:.2f}", m.errors_per_connection);
               }),
               v.differs.empty() ? "ok" : "DIFFERS (" + why + ")");
  }
}

void print_error_texts(const char* side, const real::RunMetrics& m) {
  std::set<std::string> all;
  for (const auto& [k, l] : m.links)
    all.insert(l.error_texts.begin(), l.error_texts.end());
  for (const auto& t : all)
    fmt::print("  {} logs: {}\n", side, t);
}

int run_fidelity(const FidelityOptions& o) {
  auto sc = load_scenario_with_overrides(o.scenario, nullptr, 0, "");
  if (!sc) return fail(2, sc.error().message);
  if (auto plan = real::plan_real_run(*sc); !plan)
    return fail(2, o.scenario + ": " + plan.error().message);
  auto lat = sim::parse_duration(o.loopback_latency);
  if (!lat || *lat < 0) return fail(2, "--loopback-latency needs a duration, e.g. 50us");
  std::deque<node::VersionProfile> profiles;  // overridden copies, owned here
  std::deque<std::string> strings;            // their string values
  for (auto& n : sc->nodes) {
    profiles.push_back(*n.profile);
    for (const auto& kv : o.overrides)
      if (auto ok = apply_override(profiles.back(), kv, strings); !ok)
        return fail(2, ok.error().message);
    n.profile = &profiles.back();
  }
  auto db = sim::open_results_db_for_reading(o.against);
  if (!db) return fail(2, "--against: " + db.error().message);
  auto real_m = real::measure_run(db->get(), o.run, false);
  if (!real_m) return fail(2, "--against: " + real_m.error().message);
  if (real_m->mode != "real")
    return fail(2, fmt::format("--against: run {} is a '{}' run, not 'real'", real_m->run_id,
                               real_m->mode));
  const bool first_only = real_m->engine == "harness";
  if (first_only) real_m = real::measure_run(db->get(), real_m->run_id, true);
  // The simulator on the same topology: loopback latency, the real run's length; the harness
  // has no consensus code, so consensus is off against a harness run.
  sc->default_latency = sim::LatencyModel::fixed(*lat);
  sc->region_latency.clear();
  sc->link_latency.clear();
  sc->duration_ns = real_m->end_ns;
  if (first_only) sc->consensus.enabled = false;
  auto rec = sim::Recorder::open(":memory:");
  if (!rec) return fail(1, rec.error().message);
  sim::RunInfo info;
  info.scenario_name = sc->name;
  info.seed = sc->seed;
  info.duration_ns = sc->duration_ns;
  auto run_id = (*rec)->begin_run(info);
  if (!run_id) return fail(1, run_id.error().message);
  sim::World w(*sc, sc->seed, rec->get());
  auto stats = w.run(sc->duration_ns, &g_interrupted);
  if (!stats) return fail(1, stats.error().message);
  sim::RunTotals totals;
  totals.end_ns = sc->duration_ns;
  if (auto ok = (*rec)->end_run("complete", totals); !ok) return fail(1, ok.error().message);
  auto sim_m = real::measure_run((*rec)->db(), *run_id, first_only);
  if (!sim_m) return fail(1, sim_m.error().message);
  fmt::print("fidelity: {} · real run {} ({} engine{}) · {} · sim with {} one-way latency{}\n",
             sc->name, real_m->run_id, real_m->engine,
             first_only ? ", one dial per link: first connections compared" : "",
             sim::format_duration(real_m->end_ns), o.loopback_latency,
             o.overrides.empty()
                 ? ""
                 : " · model overrides: " + fmt::format("{}", fmt::join(o.overrides, " ")));
  if (!real_m->model_ips.empty())
    fmt::print("mixed real run: {} ran as timesim live nodes (node_core), the others real code\n",
               fmt::join(real_m->model_ips, ", "));
  fmt::print(
      "tolerances: class and error lines exact · connections, errors/conn {:.0f}% · "
      "lifetime {:.0f}% or {} · redial, ping {:.0f}%\n",
      o.tol.connections_relative * 100, o.tol.lifetime_relative * 100,
      sim::format_duration(o.tol.lifetime_absolute_ns), o.tol.relative * 100);
  const auto verdicts = real::compare_links(*sim_m, *real_m, o.tol, first_only);
  print_table(verdicts);
  print_error_texts("sim ", *sim_m);
  print_error_texts("real", *real_m);
  std::size_t bad = 0;
  for (const auto& v : verdicts)
    bad += !v.differs.empty();
  fmt::print("{} of {} links agree\n", verdicts.size() - bad, verdicts.size());
  return bad == 0 ? 0 : 1;
}

}  // namespace

Command add_fidelity_command(CLI::App& app) {
  auto o = std::make_shared<FidelityOptions>();
  auto* cmd = app.add_subcommand(
      "fidelity", "compare the simulator with a real-node run (scripts/realnode), per link");
  cmd->add_option("scenario", o->scenario, "the scenario the real run was made from")->required();
  cmd->add_option("--against", o->against, "results DB holding the real run")->required();
  cmd->add_option("--run", o->run, "run id of the real run (default: the newest 'real' run)");
  cmd->add_option("--model-override", o->overrides,
                  "KEY=VALUE for every node's model, KEY a profile field (timesim versions "
                  "--fields): reconnect.after_close=4s, handshake.first=true (repeatable)");
  cmd->add_option("--loopback-latency", o->loopback_latency,
                  "the simulator's one-way latency (default 50us)");
  cmd->add_option("--tolerance", o->tol.relative, "relative tolerance, redial and ping (0.10)");
  return Command{cmd, [o] { return run_fidelity(*o); }};
}

}  // namespace ts::cli
