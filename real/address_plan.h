// The real-node plan: which loopback address, upstream commit and peers each scenario node
// gets when the scenario runs on the real node's code (scripts/realnode).
//
// Addresses: node of string rank r (its scenario IP among all, compared as strings, the
// order the real node's dial rule uses) gets 127.0.0.(100 + r). All have three-digit last
// octets, so their string order is their rank order: the same node dials the same peer as
// in the scenario. At most kMaxRealNodes nodes (127.0.0.100..254).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "scenario/scenario.h"

namespace ts::real {

constexpr std::uint32_t kMaxRealNodes = 155;
constexpr std::uint16_t kRealPort = 24100;  // the testnet P2P port every real node uses

// The upstream commits the realnode kit packages (../shared/realnode/upstream/).
bool kit_has_commit(std::string_view commit);

struct PlannedNode {
  std::uint32_t index = 0;  // scenario node index
  std::string scenario_ip, loopback_ip, version, commit;
  bool model = false;  // mixed runs: run as a timesim live node (node_core), not real code
};
struct PlannedDial {  // `dialer` dials `listener` (node indices), by the string-order rule
  std::uint32_t dialer = 0, listener = 0;
};
struct RealPlan {
  std::vector<PlannedNode> nodes;  // by scenario index
  std::vector<PlannedDial> dials;  // by dialer, then listener
  bool full_mesh = true;           // every pair of nodes are peers
};

// Fails (a message naming the node) for scenarios the real nodes cannot run: too many
// nodes, a version whose commit the kit lacks, faults, upgrades, chaos, late starts.
Result<RealPlan> plan_real_run(const sim::Scenario& sc);
// Mixed runs: marks the nodes named in `list` (comma-separated scenario IPs or node names)
// as model nodes. Fails on an unknown or repeated name, or when no real node would remain.
Result<bool> mark_model_nodes(RealPlan& p, const sim::Scenario& sc, const std::string& list);
// Scenario index of the node with loopback address `ip`, or -1.
std::int64_t node_of_loopback(const RealPlan& p, const std::string& ip);

}  // namespace ts::real
