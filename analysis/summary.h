// Summary: the per-link and per-version-pair tables the CLI prints, computed from a
// results DB alone (so a DB from any run, sim or live, can be summarised again later);
// `timesim run` streams the links from the rows as they are written instead of reading
// them back (analysis/link_accumulator.h), with the same result.
//
// Link classes (documented in docs/schema.md):
//   down     no connection was established on the link
//   stable   connected for >= 90% of the link's lifetime (from the later node start)
//   cycling  >= 3 connections, median lifetime under kCyclingPingIntervals ping intervals of
//            the dialer's profile (60 s at the built-ins' 30 s): torn down and redialled
//            before the connection settles into its periodic pings
//   flapping anything else (e.g. long-lived connections that break now and then)
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "node_core/version_profile.h"

namespace ts::sim {

// A cycling link's connections die within this many of the dialer's ping intervals.
inline constexpr Duration kCyclingPingIntervals = 2;
// Pings a dialer writes at connect time, before its interval's later ticks: the connect
// path's ping and the interval's first tick, which completes at once (node_core/node.cc).
// The same in every profile: a model fact, not a profile field.
inline constexpr std::int64_t kConnectPings = 2;

struct LinkSummary {
  std::uint32_t dialer = 0, listener = 0;
  std::string dialer_name, listener_name;
  std::string dialer_version, listener_version;
  std::uint64_t attempts = 0;     // dials
  std::uint64_t connections = 0;  // established
  Duration median_lifetime_ns = 0;
  Duration median_redial_gap_ns = -1;  // dialer close -> next dial; -1 if none
  double up_fraction = 0;
  std::string main_close_reason;  // most frequent, ties by name
  std::uint64_t protocol_errors = 0;
  double connections_per_hour = 0;
  // Mean interval between the dialer's periodic pings, over connections that lived past
  // the two connect-time pings: (t_last_ping - t_connect) / (pings - 2); -1 when none.
  Duration ping_interval_ns = -1;
  Duration rtt_avg_ns = -1;  // mean ping RTT over matched pongs; -1 when none
  std::string link_class;    // down | stable | cycling | flapping
};

struct PairSummary {
  std::string dialer_version, listener_version;
  std::uint64_t links = 0, cycling = 0, stable = 0, flapping = 0, down = 0;
  std::uint64_t connections = 0;
  double connections_per_link_hour = 0;
  Duration median_lifetime_ns = 0;
  double up_fraction = 0;  // mean over links
  std::uint64_t protocol_errors = 0;
};

// A stretch of the run between upgrades (rolling upgrades split the run into phases).
struct PhaseSummary {
  SimTime start_ns = 0, end_ns = 0;
  std::string label;  // what began the phase: "start" or "upgrade <node> <from> -> <to>"
  std::uint64_t cycling = 0, stable = 0, flapping = 0, down = 0;
};

// The consensus model's outcome (only when the run had consensus on).
struct ConsensusSummary {
  bool present = false;
  std::uint64_t slots = 0;      // slot boundaries in (0, duration] on an unskewed clock
  std::uint64_t proposals = 0;  // proposals made (by any leader)
  std::uint64_t skipped = 0;    // node-slots skipped for want of active masternodes
  std::uint64_t blocks = 0;     // distinct heights finalised by some node
  std::uint64_t min_height = 0, max_height = 0;            // nodes' final heights (last sample)
  Duration finality_median_ns = -1, finality_p95_ns = -1;  // proposal -> a node applies it
  std::uint64_t max_spread = 0;  // max over samples of (max - min height) across nodes
  std::uint64_t active_min = 0, active_max = 0;  // active masternodes seen, over all samples
  Duration longest_gap_ns = 0;       // longest time without a new height (run start counts)
  std::uint64_t synced = 0;          // blocks applied through sync
  std::uint64_t samples = 0;         // rows in `samples`
  std::uint64_t forked_heights = 0;  // heights with more than one committed block hash
  std::uint64_t tx_submitted = 0;    // client transactions accepted by a running node
  std::uint64_t tx_final_all = 0;    // ... finalised at every node
  std::uint64_t tx_final_any = 0;    // ... finalised at one node at least
  Duration tx_final_median_ns = -1, tx_final_p95_ns = -1;  // submission -> final, per node
  std::uint64_t tx_in_blocks = 0;  // transactions in committed blocks (distinct heights)
  // From the run's profiles (the shortest block interval among the nodes').
  Duration block_interval_ns = 0;
  std::uint32_t min_active_masternodes = 0;
};

struct RunSummary {
  std::int64_t run_id = 0;
  std::string scenario, mode, status;
  std::uint64_t seed = 0;
  Duration duration_ns = 0;
  std::uint64_t nodes = 0, events = 0, connections = 0, protocol_errors = 0;
  std::vector<LinkSummary> links;  // by dialer, then listener (node index)
  std::vector<PairSummary> pairs;  // by dialer version, then listener version
  std::uint64_t cycling = 0, stable = 0, flapping = 0, down = 0;
  std::vector<PhaseSummary> phases;  // empty when the run had no upgrades
  std::uint64_t faults = 0;
  std::uint64_t connections_ended_by_faults = 0;
  ConsensusSummary consensus;
};

// The profile of each of `versions` in run `run_id`: the built-in of that name (or the
// defaults) with the run's `profiles` rows applied (docs/schema.md; a run recorded before
// schema 5 has none, and its versions are built-ins). The summary reads timers only here.
Result<std::map<std::string, node::VersionProfile>> run_profiles(
    sqlite3* db, std::int64_t run_id, const std::vector<std::string>& versions);

class LinkAccumulator;  // analysis/link_accumulator.h

// Summarises run `run_id` (or the newest run when run_id <= 0) of the DB. `streamed`, when
// given, holds the run's connection rows as the Recorder wrote them (it is used up): the
// links come from it instead of a scan of the rows, unless it cannot give exactly what the
// scan would (LinkAccumulator::exact_for, or it holds another number of rows than the DB).
Result<RunSummary> summarize(sqlite3* db, std::int64_t run_id, LinkAccumulator* streamed = nullptr);
void print_summary(std::FILE* out, const RunSummary& s);

}  // namespace ts::sim
