// Faults: what the network and the nodes suffer, on a timeline (scenario `faults:` and
// `upgrades:`) or drawn from the seed (`chaos:`). See docs/faults.md for the YAML and the
// semantics of each kind. A Fault is plain data; World applies it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/prng.h"
#include "common/time.h"
#include "node_core/node_io.h"
#include "node_core/version_profile.h"
#include "sim/latency.h"

namespace ts::sim {

enum class FaultKind : std::uint8_t {
  // link faults: act on directions (from -> to) between node sets
  kPartition,    // bytes stall (held, delivered after heal), like TCP retransmitting
  kLatency,      // a different latency model while active (spike, change, jitter)
  kLoss,         // each segment is lost with `loss`; TCP retransmits after an RTO
  kBandwidth,    // serialisation delay at `bandwidth_bps` plus queueing
  kReset,        // one-shot: RST on the matching open connections (or a fraction)
  kCorrupt,      // one-shot: the next segment's bytes are corrupted in flight
  kTruncate,     // one-shot: the next segment loses its second half
  kGarbage,      // one-shot: a line of random non-JSON bytes is injected
  kOversize,     // one-shot: a line of `size` bytes is injected
  kOldProtocol,  // one-shot: the old binary protocol's bytes (~W~M...) are injected
  kWrongKind,    // one-shot: a valid message of a kind the receiver does not expect
  // node faults
  kRefuse,     // dials to the nodes are refused (port closed) while active
  kCrash,      // host down: no FIN, packets dropped; RST to old connections after restart
  kPause,      // process frozen: no timers or reads until resumed; bytes queue up
  kClockSkew,  // the nodes' clocks jump by `clock_offset` and drift by `drift_ppm`
  kUpgrade,    // graceful stop (FIN), restart after `restart_delay` on profile `to`
  kCount,
};
std::string_view fault_kind_name(FaultKind k);
bool fault_kind_from_name(std::string_view name, FaultKind& out);
bool is_link_fault(FaultKind k);
bool is_one_shot(FaultKind k);
// Whether a fault of kind `k` can end a connection with `reason` (used to charge endings
// to faults): e.g. a pong timeout comes from stalled or slowed traffic (partition, latency,
// loss, bandwidth, pause), never from injected bytes or a clock skew.
bool can_end(FaultKind k, node::CloseReason reason);

struct Fault {
  std::uint32_t id = 0;  // 1-based, in schedule order
  FaultKind kind = FaultKind::kPartition;
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
  LatencyModel latency;                              // kLatency
  Ratio loss{0, 1};                                  // kLoss: per-segment loss probability
  Ratio fraction{1, 1};                              // kReset: share of matching connections
  std::int64_t bandwidth_bps = 0;                    // kBandwidth
  std::uint32_t size = 0;                            // kOversize: bytes in the injected line
  Duration clock_offset_ns = 0;                      // kClockSkew
  std::int64_t drift_ppm = 0;                        // kClockSkew
  Duration restart_after_ns = -1;                    // kCrash: restart after (-1: stays down)
  Duration restart_delay_ns = seconds(10);           // kUpgrade
  const node::VersionProfile* to_profile = nullptr;  // kUpgrade

  // Whether this fault acts on the direction from node i to node j.
  bool matches(std::uint32_t i, std::uint32_t j) const;
  bool targets_node(std::uint32_t n) const;
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
