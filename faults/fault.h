// Faults: what the network and the nodes suffer, on a timeline (scenario `faults:` and
// `upgrades:`) or drawn from the seed (`chaos:`). See docs/faults.md for the YAML and the
// semantics of each kind. A Fault is plain data; its kind (faults/fault_kind.h) parses,
// describes and draws it, and its handler applies it through an engine.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/prng.h"
#include "common/time.h"
#include "faults/fault_kind.h"
#include "node_core/node_io.h"
#include "node_core/version_profile.h"
#include "sim/latency.h"

namespace ts::sim {

// The kind's name; whether it acts on links (else on nodes); whether it acts once; whether a
// fault of kind `k` can end a connection with `reason` (used to charge endings to faults:
// e.g. a pong timeout comes from stalled or slowed traffic, never from injected bytes).
std::string_view fault_kind_name(FaultKind k);
bool fault_kind_from_name(std::string_view name, FaultKind& out);
bool is_link_fault(FaultKind k);
bool is_one_shot(FaultKind k);
bool can_end(FaultKind k, node::CloseReason reason);
// "partition, latency, ..." by order.
std::string fault_kind_list();

struct Fault {
  std::uint32_t id = 0;      // 1-based, in schedule order
  FaultKind kind = nullptr;  // faults/kinds/*.cc
  SimTime start_ns = 0;
  SimTime end_ns = kNever;          // kNever: holds to the end of the run; one-shots: == start
  std::string source = "scenario";  // or "chaos", "upgrade"

  // Link targets. A direction i -> j matches when:
  //   groups non-empty: group_of[i] and group_of[j] are both >= 0 and differ (partition);
  //   else from/to:     i in from and j in to, or (unless one_way) i in to and j in from;
  //   else:             every direction (all links).
  std::vector<int> group_of;  // per node; -1 = not in any group
  std::vector<std::uint32_t> from, to;
  bool one_way = false;
  // Node targets.
  std::vector<std::uint32_t> nodes;

  // Parameters (by kind).
  LatencyModel latency;                              // latency
  Ratio loss{0, 1};                                  // loss: per-segment loss probability
  Ratio fraction{1, 1};                              // reset: share of matching connections
  std::int64_t bandwidth_bps = 0;                    // bandwidth
  std::uint32_t size = 0;                            // oversize: bytes in the injected line
  Duration clock_offset_ns = 0;                      // clock_skew
  std::int64_t drift_ppm = 0;                        // clock_skew
  Duration restart_after_ns = -1;                    // crash: restart after (-1: stays down)
  Duration restart_delay_ns = seconds(10);           // upgrade
  const node::VersionProfile* to_profile = nullptr;  // upgrade
  // Parameters of kinds that keep their own (faults/kinds/*.cc names its slots).
  std::array<std::int64_t, 4> kind_params{};

  // Whether this fault acts on the direction from node i to node j.
  bool matches(std::uint32_t i, std::uint32_t j) const;
  bool targets_node(std::uint32_t n) const;
  // The length `timesim hunt` shrinks: until the end, or a crash's restart_after.
  bool has_length() const;
  Duration length() const;
  void set_length(Duration d);
  // Human-readable targets and parameters for the faults table.
  std::string describe_targets(const std::vector<std::string>& node_names) const;
  std::string describe_params() const;
  // The fault as one `faults:` entry: a YAML flow mapping, exact to the nanosecond, that
  // parses back into the same fault (so a run's drawn chaos can be replayed from its rows).
  std::string to_yaml(const std::vector<std::string>& node_names) const;
};

// `chaos:`: faults drawn from the run's seed.
struct ChaosSpec {
  bool enabled = false;
  std::uint64_t per_hour_num = 0;  // mean faults per hour (a rational: num/den)
  std::uint64_t per_hour_den = 1;
  std::vector<FaultKind> kinds;
  SimTime start_ns = 0;
  SimTime end_ns = kNever;  // default: the run's end
  Duration min_duration_ns = seconds(10);
  Duration max_duration_ns = 5 * kMinute;
};

// Draws a fault schedule from `seed` (its own stream): Poisson arrivals at the given rate,
// a uniform kind, uniform targets and durations. Same inputs, same schedule.
std::vector<Fault> draw_chaos(const ChaosSpec& spec, std::uint64_t seed, std::size_t node_count,
                              Duration run_duration_ns);

}  // namespace ts::sim
