// What both engines build from the scenario for one node, and the rows they record before a
// run: one definition, so that sim::World and live::LiveWorld start identical nodes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "driver/host_index.h"
#include "faults/fault.h"
#include "node_core/node.h"
#include "scenario/scenario.h"
#include "store/recorder.h"

namespace ts::sim {

// The NodeConfig of scenario node `n`: its address, its seed peers (`peer_node`, the
// topology's), whitelist, and consensus settings. `ips[j]` is the address node_core knows
// node j by (the scenario's; in mixed live runs, the one on the wire), so a whitelisted
// scenario node is whitelisted at that address. `hosts` (the scenario's addresses) must
// outlive the node: NodeConfig::dialable_ips points into it.
node::NodeConfig node_config(const Scenario& sc, std::uint32_t n,
                             const std::vector<std::uint32_t>& peer_node,
                             const std::vector<std::string>& ips, const HostIndex& hosts);

// The seed of node `n`'s process `incarnation` (1: its first start; each restart gets its
// own stream, so it does not replay the old nonces). Stream::kNodes of the run's seed.
std::uint64_t node_process_seed(std::uint64_t run_seed, std::uint32_t n, std::uint32_t incarnation);

// The scenario's addresses, in node order.
std::vector<std::string> scenario_ips(const Scenario& sc);

// The rows a run writes before it starts: one per fault of `faults` (the scenario's, plus
// any drawn), one per node, and the version profiles. Stops at the first failed write.
Result<bool> record_setup(Recorder& rec, const Scenario& sc, const std::vector<Fault>& faults);

}  // namespace ts::sim
