// Run metrics: the per-run numbers `timesim compare`, `timesim regress` and the HTML
// report work with, computed from a results DB alone (any run, sim or live). Definitions
// (docs/metrics.md):
//
//   churn_per_link_hour          established connections per link-hour; a link's time
//                                runs from the later of its two nodes' starts to the end
//   lifetime_median_s, _p95_s    lifetime of established connections as the dialer saw it
//                                (view connection_lifetimes; open ones end at the run end)
//   connected_fraction           share of link-time with an established connection
//   handshake_failures_per_hour  established connections that closed without the listener
//                                accepting a Handshake
//   protocol_errors_per_hour     rows of protocol_errors
//   reconnect_after_fault_s      for each established connection a fault broke
//                                (connections.fault_id), time from max(its close, the
//                                fault's end) to the next established connection on the
//                                link (the run end if none); mean. n/a without faults.
//   blocks_committed             distinct heights in a `blocks` table; n/a without one
//   finality_s                   mean (t_finalized_ns - t_proposed_ns) of `blocks`; n/a
//                                without those columns
//
// A metric that does not apply to a run is std::nullopt ("n/a").
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ts::analysis {

struct MetricDef {
  std::string_view name;
  std::string_view unit;
  bool higher_is_better;
  std::string_view description;
};
// All metrics, in report order.
const std::vector<MetricDef>& metric_defs();
// Index of `name` in metric_defs(), or -1.
int metric_index(std::string_view name);

struct RunMetrics {
  std::int64_t run_id = 0;
  std::uint64_t seed = 0;
  std::string scenario;
  std::string fingerprint;                    // runs.fingerprint ("" when the DB predates it)
  std::vector<std::optional<double>> values;  // indexed like metric_defs()
  // The value of the metric called `name` (metric_defs()); throws std::out_of_range for a
  // name that is no metric, so a misspelt name fails loudly instead of reading a neighbour.
  std::optional<double>& at(std::string_view name);
  const std::optional<double>& at(std::string_view name) const;
};

// Metrics of run `run_id` of the DB. The DB is only read (temporary views aside).
Result<RunMetrics> compute_metrics(sqlite3* db, std::int64_t run_id);
// The run ids of the DB, ascending.
Result<std::vector<std::int64_t>> list_runs(sqlite3* db);
// Opens the results DB at `path` read-only and computes the metrics of every run in it.
Result<std::vector<RunMetrics>> metrics_of_file(const std::string& path);

}  // namespace ts::analysis
