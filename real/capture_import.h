// Import of a real-node capture directory (written by scripts/realnode) into the results
// schema, as a run with runs.mode = 'real'.
//
// The directory holds:
//   plan.tsv          `timesim realnode-plan`'s output (which node is on which address, and
//                     in mixed runs which nodes ran as timesim live nodes: "model")
//   times             lines "start WALL_NS", "stop WALL_NS" (the script's clock, ns since the
//                     epoch: nodes started / the script began stopping them), "engine E"
//   lo.pcap           tcpdump -i lo -s 0 of TCP port 24100 in the nodes' namespace
//   <loopback ip>/*.log  every log file of the node on that address (a model node's:
//                     `timesim live --log-dir`, the same line format)
//
// Time origin (t = 0): the first SYN between two scenario nodes, so that a run is comparable
// with the simulator's, whose nodes dial at start (the full node first dials after its
// 120 s peer-discovery tick). Connections still open at "stop" are open_at_end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "real/address_plan.h"
#include "real/node_log.h"
#include "real/pcap_tcp.h"
#include "scenario/scenario.h"
#include "store/recorder.h"

namespace ts::real {

struct ImportStats {
  std::uint64_t connections = 0;       // node-to-node TCP connections recorded
  std::uint64_t outside_flows = 0;     // flows with a non-node end (introducer, probes)
  std::uint64_t protocol_errors = 0;   // log lines recorded
  std::uint64_t unmatched_errors = 0;  // log lines naming no captured connection
  std::int64_t t0_wall_ns = 0;         // the run's time origin
  std::int64_t end_ns = 0;             // stop - t0
  std::string engine;                  // "harness" or "node"
  std::uint64_t model_nodes = 0;       // mixed runs: nodes run as timesim live nodes
};

struct CapturedError {
  std::uint32_t node = 0;  // the node whose log holds the line
  LoggedError e;
};

// Everything a capture directory holds, read and checked (nothing is written).
struct Capture {
  std::string dir, engine;
  std::int64_t start_wall_ns = 0, stop_wall_ns = 0;
  std::vector<TcpFlow> flows;
  std::vector<CapturedError> errors;  // by time
  std::vector<bool> model;            // by node index: a model node (plan.tsv's 7th column)
};

// Reads and checks the capture directory `dir` against `plan` (made for another scenario,
// missing files, a pcap cut by its snap length: an error naming the file).
Result<Capture> read_capture(const RealPlan& plan, const std::string& dir);
// Records `cap` into `rec` as one run (begin_run .. end_run).
Result<ImportStats> import_capture(const sim::Scenario& sc, const std::string& scenario_path,
                                   const RealPlan& plan, const Capture& cap, sim::Recorder& rec,
                                   const std::string& args);

}  // namespace ts::real
