// `timesim live SCENARIO.yaml --time-scale S`: run the scenario's nodes on real loopback TCP
// through libuv (live::LiveWorld), record into the same schema (runs.mode = 'live'), print
// the same tables.
//
// Mixed runs (`--model-nodes LIST`, used by scripts/realnode --model-nodes): only the listed
// nodes run here, each on its real-node plan address (`timesim realnode-plan`) and port
// 24100, in real time (host clock, scale 1) with no emulated WAN: the loopback is the
// network, as for the real nodes, which are the other nodes of the scenario, outside this
// process. `--log-dir DIR` writes each model node's protocol-error lines to
// DIR/<address>/model.log in the real node's log format, stamped with the wall clock (the
// pcap's clock), for `timesim import-capture`.
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "analysis/summary.h"
#include "cli/command.h"
#include "cli/output_path.h"
#include "live/live_world.h"
#include "real/address_plan.h"
#include "scenario/scenario.h"
#include "store/recorder.h"

namespace ts::cli {
namespace {

struct LiveOptions {
  std::string scenario, duration, db;
  std::string port_base = "0";
  std::string clock = "virtual";
  std::uint64_t seed = 0;
  CLI::Option* seed_opt = nullptr;
  double time_scale = 0.01;
  bool quiet = false;
  bool no_consensus = false;
  std::string model_nodes, log_dir;
};

// One log file per model node of a mixed run; lines as tm-net-harness writes them (tracing's
// text format), so real/node_log.h reads both alike.
class ModelLogs {
 public:
  ~ModelLogs() {
    for (auto* f : files_)
      if (f) std::fclose(f);
  }
  Result<bool> open(const std::string& dir, const std::vector<live::NodeAddress>& addrs) {
    files_.assign(addrs.size(), nullptr);
    for (std::size_t i = 0; i < addrs.size(); ++i) {
      if (!addrs[i].here) continue;
      const auto d = std::filesystem::path(dir) / addrs[i].ip;
      std::error_code ec;
      std::filesystem::create_directories(d, ec);
      files_[i] = std::fopen((d / "model.log").c_str(), "w");
      if (!files_[i]) return Error{"--log-dir: cannot write " + (d / "model.log").string()};
    }
    return true;
  }
  // Wall-clock stamp: the log is matched with tcpdump's timestamps, which use the same clock.
  void write(std::uint32_t node, const std::string& text) {
    if (node >= files_.size() || !files_[node]) return;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    fmt::print(files_[node], "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z  WARN timesim_live: {}\n",
               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
               us % 1'000'000, text);
    std::fflush(files_[node]);
  }

 private:
  std::vector<std::FILE*> files_;
};

// Mixed runs: the address table of the real-node plan, with the listed nodes here.
Result<std::vector<live::NodeAddress>> mixed_addresses(const sim::Scenario& sc,
                                                       const std::string& list) {
  auto plan = real::plan_real_run(sc);
  if (!plan) return plan.error();
  if (auto ok = real::mark_model_nodes(*plan, sc, list); !ok) return ok.error();
  std::vector<live::NodeAddress> out;
  for (const auto& n : plan->nodes)
    out.push_back(live::NodeAddress{n.loopback_ip, real::kRealPort, n.model});
  return out;
}

int run_live(const LiveOptions& o) {
  auto sc = load_scenario_with_overrides(o.scenario, o.seed_opt, o.seed, o.duration);
  if (!sc) return fail(2, sc.error().message);
  if (!(o.time_scale > 0 && o.time_scale <= 100))
    return fail(2, "--time-scale must be in (0, 100]");
  if (auto ok = live::check_live_scenario(*sc); !ok)
    return fail(2, o.scenario + ": " + ok.error().message);
  auto port_base = live::parse_port_base(o.port_base, sc->nodes.size());
  if (!port_base) return fail(2, port_base.error().message);
  if (o.clock != "virtual" && o.clock != "host")
    return fail(2, "--clock must be 'virtual' or 'host' (got '" + o.clock.substr(0, 40) + "')");
  const bool mixed = !o.model_nodes.empty();
  std::vector<live::NodeAddress> addrs;
  if (mixed) {
    auto a = mixed_addresses(*sc, o.model_nodes);
    if (!a) return fail(2, o.scenario + ": " + a.error().message);
    addrs = std::move(*a);
    // Real peers run in real time on the bare loopback: so do the model nodes.
    sc->default_latency = sim::LatencyModel::fixed(0);
    sc->region_latency.clear();
    sc->link_latency.clear();
  } else if (!o.log_dir.empty()) {
    return fail(2, "--log-dir is for mixed runs (--model-nodes)");
  }
  if (o.no_consensus) sc->consensus.enabled = false;
  const double time_scale = mixed ? 1.0 : o.time_scale;
  std::string db_path = o.db;
  std::error_code ec;
  const bool make_runs_dir = db_path.empty() && !std::filesystem::is_directory("results/runs", ec);
  if (db_path.empty()) db_path = fmt::format("results/runs/{}-live-seed{}.db", sc->name, sc->seed);
  if (!make_runs_dir) {  // validated like run's DB (cli/output_path.h), before it is opened
    if (auto ok = check_output_path(db_path, {o.scenario}, OutputKind::kResultsDb); !ok)
      return fail(2, "--db: " + ok.error().message);
  } else {
    std::filesystem::create_directories("results/runs", ec);
    if (ec) return fail(2, "cannot create results/runs: " + ec.message());
  }
  auto rec = sim::Recorder::open(db_path);
  if (!rec) return fail(2, rec.error().message);
  sim::RunInfo info;
  info.scenario_name = sc->name;
  info.scenario_path = o.scenario;
  info.scenario_hash = sc->text_hash;
  info.seed = sc->seed;
  info.duration_ns = sc->duration_ns;
  info.mode = "live";
  info.args = g_command_line;
  auto run_id = (*rec)->begin_run(info);
  if (!run_id) return fail(1, run_id.error().message);
  if (mixed)
    fmt::print(stderr, "live: mixed run, {} of {} nodes here (model), {} in real time\n",
               std::count_if(addrs.begin(), addrs.end(), [](const auto& a) { return a.here; }),
               sc->nodes.size(), sim::format_duration(sc->duration_ns));
  else
    fmt::print(stderr,
               "live: {} nodes on 127.0.0.2.., {} of protocol time at scale {} (~{:.1f} s real)\n",
               sc->nodes.size(), sim::format_duration(sc->duration_ns), time_scale,
               static_cast<double>(sc->duration_ns) * time_scale / 1e9);
  live::LiveWorld world(*sc, sc->seed, rec->get(), time_scale, *port_base);
  world.set_host_clock(mixed || o.clock == "host");
  ModelLogs logs;
  if (mixed) {
    if (auto ok = world.set_addresses(addrs); !ok) return fail(2, ok.error().message);
    if (!o.log_dir.empty()) {
      if (auto ok = logs.open(o.log_dir, addrs); !ok) return fail(2, ok.error().message);
      world.on_protocol_error = [&logs](std::uint32_t n, const std::string& text) {
        logs.write(n, text);
      };
    }
  }
  world.on_listen = [&sc](std::uint32_t i, const std::string& ip, int port) {
    fmt::print(stderr, "live: node {} ({}) listens on {}:{}\n", i, sc->nodes[i].ip, ip, port);
  };
  auto stats = world.run(sc->duration_ns, &g_interrupted);
  fmt::print(stderr, "live: host dispatch lateness {:.2f} ms max, {:.3f} ms mean (protocol time)\n",
             static_cast<double>(world.max_lateness_ns()) / 1e6,
             static_cast<double>(world.mean_lateness_ns()) / 1e6);
  sim::RunTotals totals;
  if (stats) {
    totals.events = stats->events;
    totals.end_ns = stats->end_ns;
  }
  const bool interrupted = stats && stats->interrupted;
  auto ended = (*rec)->end_run(!stats        ? "failed"
                               : interrupted ? "interrupted"
                                             : "complete",
                               totals);
  if (!stats) return fail(1, stats.error().message);
  if (!ended) return fail(1, ended.error().message);
  auto summary = sim::summarize((*rec)->db(), *run_id);
  if (!summary) return fail(1, summary.error().message);
  if (!o.quiet) sim::print_summary(stdout, *summary);
  fmt::print("results: {} (run {}, live)\n", db_path, *run_id);
  if (interrupted) return fail(1, "interrupted: the run is recorded with status 'interrupted'");
  return 0;
}

}  // namespace

Command add_live_command(CLI::App& app) {
  auto o = std::make_shared<LiveOptions>();
  auto* cmd = app.add_subcommand("live", "run the scenario's nodes on real loopback TCP (libuv)");
  cmd->add_option("scenario", o->scenario, "scenario YAML")->required();
  cmd->add_option("--time-scale", o->time_scale, "real seconds per protocol second (default 0.01)");
  o->seed_opt = cmd->add_option("--seed", o->seed, "PRNG seed (latency draws, nonces)")
                    ->check(non_negative_integer());
  cmd->add_option("--duration", o->duration, "protocol time to run, e.g. 5m");
  cmd->add_option("--clock", o->clock,
                  "time stamps of node inputs and records: virtual (default: each event's due "
                  "time) or host (the host's monotonic clock when handled, lateness included)");
  cmd->add_option("--port-base", o->port_base,
                  "node i listens on port N+i (default 0: ephemeral ports, printed at start)");
  cmd->add_option("--db", o->db,
                  "results DB path (default results/runs/<scenario>-live-seed<N>.db)");
  cmd->add_flag("-q,--quiet", o->quiet, "print only the results line");
  cmd->add_flag("--no-consensus", o->no_consensus,
                "run without the scenario's consensus (as against tm-net-harness peers)");
  cmd->add_option("--model-nodes", o->model_nodes,
                  "mixed run: only these nodes (scenario IPs or names, comma-separated) run here, "
                  "on their real-node plan addresses, port 24100, in real time; the others are "
                  "real nodes outside (scripts/realnode --model-nodes)");
  cmd->add_option("--log-dir", o->log_dir,
                  "mixed run: write each model node's protocol-error lines to "
                  "DIR/<address>/model.log");
  return Command{cmd, [o] { return run_live(*o); }};
}

}  // namespace ts::cli
