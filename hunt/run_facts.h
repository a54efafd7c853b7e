// The named numbers of one recorded run that a hunt property (hunt/property.h) can compare:
// every metric of the metric table (analysis/metrics.h, docs/metrics.md) and the run
// summary's counts (analysis/summary.h): links by class, connections, protocol errors, faults,
// nodes, and, with consensus on, slots, heights, forks and active masternodes. A fact that
// does not apply to the run (a consensus fact without consensus, a metric that is n/a) is
// std::nullopt. Computed from the results DB alone.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ts::hunt {

struct FactDef {
  std::string_view name;
  std::string_view description;
};
// Every fact, metrics first (in metric-table order), then the summary's, in a fixed order.
const std::vector<FactDef>& fact_defs();
// Index of `name` in fact_defs(), or -1.
int fact_index(std::string_view name);

// Values indexed like fact_defs().
using RunFacts = std::vector<std::optional<double>>;
Result<RunFacts> run_facts(sqlite3* db, std::int64_t run_id);

}  // namespace ts::hunt
