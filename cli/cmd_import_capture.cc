// `timesim realnode-plan SCENARIO.yaml`: prints the plan scripts/realnode runs (which
// loopback address and upstream commit each node gets, which node dials which).
// `timesim import-capture SCENARIO.yaml --capture DIR --db out.db`: records a real-node
// capture directory (real/capture_import.h) as a run with runs.mode = 'real' and prints the
// same tables as `run`.
#include <fmt/core.h>

#include <memory>

#include "analysis/summary.h"
#include "cli/command.h"
#include "cli/output_path.h"
#include "real/address_plan.h"
#include "real/capture_import.h"
#include "store/recorder.h"

namespace ts::cli {
namespace {

struct PlanOptions {
  std::string scenario, model_nodes;
};

int run_plan(const PlanOptions& o) {
  auto sc = load_scenario_with_overrides(o.scenario, nullptr, 0, "");
  if (!sc) return fail(2, sc.error().message);
  auto plan = real::plan_real_run(*sc);
  if (!plan) return fail(2, o.scenario + ": " + plan.error().message);
  if (!o.model_nodes.empty())
    if (auto ok = real::mark_model_nodes(*plan, *sc, o.model_nodes); !ok)
      return fail(2, ok.error().message);
  fmt::print(
      "# node INDEX SCENARIO_IP LOOPBACK_IP VERSION COMMIT real|model; dial DIALER_IP "
      "LISTENER_IP\n");
  for (const auto& n : plan->nodes)
    fmt::print("node {} {} {} {} {} {}\n", n.index, n.scenario_ip, n.loopback_ip, n.version,
               n.commit, n.model ? "model" : "real");
  for (const auto& d : plan->dials)
    fmt::print("dial {} {}\n", plan->nodes[d.dialer].loopback_ip,
               plan->nodes[d.listener].loopback_ip);
  fmt::print("mesh {}\n", plan->full_mesh ? "full" : "partial");
  return 0;
}

struct ImportOptions {
  std::string scenario, capture, db;
  bool quiet = false;
};

int run_import(const ImportOptions& o) {
  auto sc = load_scenario_with_overrides(o.scenario, nullptr, 0, "");
  if (!sc) return fail(2, sc.error().message);
  auto plan = real::plan_real_run(*sc);
  if (!plan) return fail(2, o.scenario + ": " + plan.error().message);
  if (auto ok = check_output_path(o.db, {o.scenario}, OutputKind::kResultsDb); !ok)
    return fail(2, "--db: " + ok.error().message);
  auto cap = real::read_capture(*plan, o.capture);  // all input checked before the DB is opened
  if (!cap) return fail(2, "--capture: " + cap.error().message);
  auto rec = sim::Recorder::open(o.db);
  if (!rec) return fail(2, rec.error().message);
  auto st = real::import_capture(*sc, o.scenario, *plan, *cap, **rec, g_command_line);
  if (!st) return fail(1, st.error().message);
  fmt::print(stderr,
             "import-capture: {} engine{} · {} node-to-node connections · {} other flows skipped "
             "· {} protocol-error lines ({} naming no captured connection) · {:.1f} s from the "
             "first dial to stop\n",
             st->engine,
             st->model_nodes ? fmt::format(" + {} model nodes (mixed)", st->model_nodes) : "",
             st->connections, st->outside_flows, st->protocol_errors, st->unmatched_errors,
             static_cast<double>(st->end_ns) / 1e9);
  auto summary = sim::summarize((*rec)->db(), 0);
  if (!summary) return fail(1, summary.error().message);
  if (!o.quiet) sim::print_summary(stdout, *summary);
  fmt::print("results: {} (run {}, real)\n", o.db, summary->run_id);
  return 0;
}

}  // namespace

Command add_realnode_plan_command(CLI::App& app) {
  auto o = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand(
      "realnode-plan", "print the loopback address, commit and dials of each node for real runs");
  cmd->add_option("scenario", o->scenario, "scenario YAML")->required();
  cmd->add_option("--model-nodes", o->model_nodes,
                  "mixed runs: nodes (scenario IPs or names, comma-separated) that run as "
                  "timesim live nodes instead of real code");
  return Command{cmd, [o] { return run_plan(*o); }};
}

Command add_import_capture_command(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  auto* cmd = app.add_subcommand(
      "import-capture", "record a real-node capture directory (scripts/realnode) as a 'real' run");
  cmd->add_option("scenario", o->scenario, "the scenario the capture was made from")->required();
  cmd->add_option("--capture", o->capture, "capture directory (plan.tsv, times, lo.pcap, logs)")
      ->required();
  cmd->add_option("--db", o->db, "results DB to append the run to")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "print only the results line");
  return Command{cmd, [o] { return run_import(*o); }};
}

}  // namespace ts::cli
