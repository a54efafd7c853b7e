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
#include "faults/fault.h"
#include "node_core/version_profile.h"
#include "scenario/topology.h"
#include "scenario/user_profile.h"
#include "sim/latency.h"

namespace ts::sim {

struct NodeSpec {
  std::string name;
  std::string ip;
  const node::VersionProfile* profile = nullptr;
  SimTime start_ns = 0;  // the node process starts at this virtual time
  std::string region;    // optional; selects region-pair latency
  // `whitelist:` of the node; unset: the scenario's (Scenario::whitelist).
  bool has_whitelist = false;
  std::vector<std::string> whitelist;
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

// A `properties:` entry as written, for `timesim hunt` to parse (hunt/property.h). `line` and
// `column` (1-based) are where its text starts in the file, so a parse error at offset k of
// `text` is reported at column + k. A `{sql: QUERY}` entry has text "sql: QUERY".
struct PropertySpec {
  std::string text;
  int line = 0;
  int column = 0;
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
  // Top-level `whitelist:`: the whitelist of every node without its own.
  std::vector<std::string> whitelist;
  std::vector<Fault> faults;   // `faults:` and `upgrades:`, in file order (ids 1..n)
  ChaosSpec chaos;             // `chaos:`; drawn at run time from the run's seed
  TopologySpec topology;       // `topology:`; random topologies are drawn from the run's seed
  ConsensusSpec consensus;     // `consensus:`
  UserProfiles user_profiles;  // `versions:`, in file order; NodeSpec and Fault point into them

  // The profile called `name`: the scenario's own, then the built-ins; nullptr if none.
  const node::VersionProfile* find_version(std::string_view name) const {
    return sim::find_version(user_profiles, name);
  }
  std::vector<PropertySpec> properties;  // `properties:`; checked by `run` and `timesim hunt`

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
// Size limits, checked before anything is built (docs/errors.md): a seed is at most
// kMaxSeed (runs.seed is SQLite's signed 64-bit INTEGER, so every seed is stored as given);
// a topology has at most kMaxLinks links (link_bound(), e.g. a full mesh of 4,472 nodes);
// chaos draws at most kMaxChaosFaults faults on average (rate x window).
inline constexpr std::uint64_t kMaxSeed = 9223372036854775807ULL;  // 2^63 - 1
inline constexpr std::uint64_t kMaxLinks = 10'000'000;
inline constexpr std::uint64_t kMaxChaosFaults = 1'000'000;

// Loads a regular file of at most kMaxScenarioBytes (FIFOs, devices and directories are
// refused before they are opened).
Result<Scenario> load_scenario_file(const std::string& path);
// Parses scenario text; `path` is used in error messages only.
Result<Scenario> parse_scenario(std::string_view text, const std::string& path);

// Whether `chaos` fits a run of `run_ns`: its window starts before the run ends and it draws
// at most kMaxChaosFaults faults on average. The message has no location: the loader
// prefixes the `chaos:` key's file:line:col, a --duration override names the option. Call
// it again whenever duration_ns changes after loading.
Result<bool> check_chaos_window(const ChaosSpec& chaos, Duration run_ns);

// Plain decimal digits (no sign, no spaces) -> a number in [0, max]. The one integer parser
// for seeds (`seed:`, --seed, --seeds) and the scenario's other integers. Messages:
// "must be a non-negative integer" / "must be at most <max>", for the caller to prefix.
Result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max);
// parse_uint(text, kMaxSeed).
Result<std::uint64_t> parse_seed(std::string_view text);

// "90s", "1h", "1h30m", "250ms", "2d", "10us", "5ns" -> ns. Positive only, no bare numbers.
Result<Duration> parse_duration(std::string_view text);
// "1h", "90s", "1.5s" style rendering for output (exact for whole ms).
std::string format_duration(Duration d);

}  // namespace ts::sim
