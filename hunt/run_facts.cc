#include "hunt/run_facts.h"

#include "analysis/metrics.h"
#include "analysis/summary.h"

namespace ts::hunt {
namespace {

// The summary's facts, after the metric table's.
constexpr FactDef kSummaryFacts[] = {
    {"nodes", "nodes in the run"},
    {"cycling_links", "links classified cycling (the incident's symptom)"},
    {"stable_links", "links classified stable"},
    {"flapping_links", "links classified flapping"},
    {"down_links", "links classified down"},
    {"connections", "connection rows (dials)"},
    {"protocol_errors", "protocol_errors rows"},
    {"faults", "faults rows (scheduled and drawn)"},
    {"connections_ended_by_faults", "connections a fault ended (connections.fault_id)"},
    {"slots", "slot boundaries in the run on an unskewed clock (consensus)"},
    {"proposals", "block proposals made (consensus)"},
    {"skipped_slots", "node-slots skipped for want of active masternodes (consensus)"},
    {"min_height", "lowest final height over the nodes (consensus)"},
    {"max_height", "highest final height over the nodes (consensus)"},
    {"max_height_spread", "max over samples of max - min height across nodes (consensus)"},
    {"forked_heights", "heights with more than one committed block hash (consensus)"},
    {"active_min", "fewest active masternodes a node saw in a sample (consensus)"},
    {"active_max", "most active masternodes a node saw in a sample (consensus)"},
    {"longest_gap_s", "longest time without a new height, s (consensus)"},
    {"synced_blocks", "blocks applied through sync (consensus)"},
    {"tx_submitted", "client transactions accepted (consensus)"},
    {"tx_final_all", "transactions final at every node (consensus)"},
};

std::vector<std::optional<double>> summary_values(const sim::RunSummary& s) {
  auto d = [](std::uint64_t v) { return std::optional<double>(static_cast<double>(v)); };
  std::vector<std::optional<double>> v = {
      d(s.nodes),           d(s.cycling), d(s.stable),
      d(s.flapping),        d(s.down),    d(s.connections),
      d(s.protocol_errors), d(s.faults),  d(s.connections_ended_by_faults)};
  const auto& c = s.consensus;
  if (!c.present) {
    v.resize(std::size(kSummaryFacts), std::nullopt);
    return v;
  }
  for (auto x : {c.slots, c.proposals, c.skipped, c.min_height, c.max_height, c.max_spread,
                 c.forked_heights, c.active_min, c.active_max})
    v.push_back(d(x));
  v.push_back(static_cast<double>(c.longest_gap_ns) / 1e9);
  for (auto x : {c.synced, c.tx_submitted, c.tx_final_all})
    v.push_back(d(x));
  return v;
}

}  // namespace

const std::vector<FactDef>& fact_defs() {
  static const std::vector<FactDef> defs = [] {
    std::vector<FactDef> out;
    for (const auto& m : analysis::metric_defs())
      out.push_back({m.name, m.description});
    for (const auto& f : kSummaryFacts)
      out.push_back(f);
    return out;
  }();
  return defs;
}

int fact_index(std::string_view name) {
  const auto& d = fact_defs();
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d[i].name == name) return static_cast<int>(i);
  return -1;
}

Result<RunFacts> run_facts(sqlite3* db, std::int64_t run_id) {
  auto metrics = analysis::compute_metrics(db, run_id);
  if (!metrics) return metrics.error();
  auto summary = sim::summarize(db, run_id);
  if (!summary) return summary.error();
  RunFacts facts = metrics->values;
  for (auto& v : summary_values(*summary))
    facts.push_back(v);
  return facts;
}

}  // namespace ts::hunt
