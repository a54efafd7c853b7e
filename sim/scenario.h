// Scenario: a parsed, validated topologies/*.yaml file. Loading is strict: an unknown key,
// a wrong type, a duplicate node name or IP, an unknown version or a malformed duration
// is an Error whose message starts with "file:line:col: ". Nothing else is written or run
// on error. See docs/scenario.md for the format.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "node_core/version_profile.h"
#include "sim/fault.h"
#include "sim/latency.h"
#include "sim/topology.h"

namespace ts::sim {

struct NodeSpec {
  std::string name;
  std::string ip;
  const node::VersionProfile* profile = nullptr;
  SimTime start_ns = 0;  // the node process starts at this virtual time
  std::string region;    // optional; selects region-pair latency
};

// Latency between two regions (symmetric), or between two nodes (by name), either both
// ways (`between`) or one way (`from` -> `to`).
struct LatencyRule {
  std::string a, b;
  bool one_way = false;
  LatencyModel model;
};

// `consensus:` — run the masternode layer (heartbeats, block slots, votes, sync) in every
// node, and sample each node's chain state periodically (docs/consensus.md).
struct ConsensusSpec {
  bool enabled = false;
  Duration sample_interval_ns = seconds(60);  // 0 = no samples
  bool quorum_of_active = false;              // `quorum_of: active` (default: registered)
  std::uint64_t tx_per_hour = 0;  // `tx_rate: N/h`: client transactions, Poisson, random node
};

struct Scenario {
  std::string path;  // as given, for messages
  std::string name;  // `name:` or the file stem
  std::string description;
  std::uint64_t text_hash = 0;  // FNV-1a 64 of the file text
  std::uint64_t seed = 1;
  Duration duration_ns = kHour;
  std::int64_t epoch_unix_s = 1766106000;  // 2025-12-19T01:00:00Z, the incident night
  LatencyModel default_latency = LatencyModel::fixed(millis(50));
  std::vector<LatencyRule> region_latency;  // symmetric
  std::vector<LatencyRule> link_latency;    // by node name
  std::vector<NodeSpec> nodes;
  std::vector<Fault> faults;  // `faults:` and `upgrades:`, in file order (ids 1..n)
  ChaosSpec chaos;            // `chaos:`; drawn at run time from the run's seed
  TopologySpec topology;      // `topology:`; random topologies are drawn from the run's seed
  ConsensusSpec consensus;    // `consensus:`

  // Index of the node called `name`, or -1.
  int node_index(std::string_view name) const;
  // The latency model from node `from` to node `to` (indices): a link rule if one names
  // the pair, else a region rule, else the default.
  const LatencyModel& latency(std::size_t from, std::size_t to) const;
};

// Input limits (docs/errors.md): a scenario file is at most kMaxScenarioBytes; flow
// collections nest at most kMaxNesting deep and lines indent at most kMaxIndent columns.
inline constexpr std::uint64_t kMaxScenarioBytes = 16u << 20;
inline constexpr int kMaxNesting = 64;
inline constexpr std::size_t kMaxIndent = 256;

Result<Scenario> load_scenario_file(const std::string& path);
// Parses scenario text; `path` is used in error messages only.
Result<Scenario> parse_scenario(std::string_view text, const std::string& path);

// "90s", "1h", "1h30m", "250ms", "2d", "10us", "5ns" -> ns. Positive only, no bare numbers.
Result<Duration> parse_duration(std::string_view text);
// "1h", "90s", "1.5s" style rendering for output (exact for whole ms).
std::string format_duration(Duration d);

}  // namespace ts::sim
