#include "analysis/metrics.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "analysis/summary.h"
#include "common/time.h"
#include "store/results_db.h"
#include "store/sqlite.h"

namespace ts::analysis {
namespace {

// `sql`, with `run_id` bound to ?1 when it has a parameter.
Result<sql::Statement> query(sqlite3* db, const std::string& sql, std::int64_t run_id) {
  auto s = sql::Statement::prepare(db, sql);
  if (!s)
    return Error{std::string("metrics query failed on '") + sqlite3_db_filename(db, "main") +
                 "': " + s.error().message};
  if (s->parameter_count() >= 1) s->bind(1, run_id);
  return s;
}

bool has_column(sqlite3* db, const std::string& table, const std::string& column) {
  auto q =
      query(db, "SELECT 1 FROM pragma_table_info('" + table + "') WHERE name='" + column + "'", 0);
  return q && q->next();
}

// Nearest-rank percentile of a sorted vector, 0 < q <= 1.
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size()) + 0.999999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double median(const std::vector<double>& sorted) {
  const std::size_t n = sorted.size();
  if (n == 0) return 0;
  return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

constexpr double kNsPerS = 1e9;
constexpr double kNsPerHour = 3600e9;

}  // namespace

const std::vector<MetricDef>& metric_defs() {
  static const std::vector<MetricDef> defs = {
      {"churn_per_link_hour", "conn/link/h", false, "established connections per link-hour"},
      {"lifetime_median_s", "s", true, "median connection lifetime"},
      {"lifetime_p95_s", "s", true, "95th percentile connection lifetime"},
      {"connected_fraction", "", true, "share of link-time connected"},
      {"handshake_failures_per_hour", "/h", false,
       "connections closed before a handshake was accepted"},
      {"protocol_errors_per_hour", "/h", false, "protocol errors logged by nodes"},
      {"reconnect_after_fault_s", "s", false, "time to reconnect a link after a fault broke it"},
      {"blocks_committed", "", true, "blocks committed (consensus model)"},
      {"finality_s", "s", false, "mean time from proposal to finality"},
  };
  return defs;
}

int metric_index(std::string_view name) {
  const auto& d = metric_defs();
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d[i].name == name) return static_cast<int>(i);
  return -1;
}

std::optional<double>& RunMetrics::at(std::string_view name) {
  const int i = metric_index(name);
  if (i < 0 || static_cast<std::size_t>(i) >= values.size())
    throw std::out_of_range("no metric named '" + std::string(name) + "'");
  return values[static_cast<std::size_t>(i)];
}

const std::optional<double>& RunMetrics::at(std::string_view name) const {
  return const_cast<RunMetrics*>(this)->at(name);
}

Result<std::vector<std::int64_t>> list_runs(sqlite3* db) {
  auto q = query(db, "SELECT run_id FROM runs ORDER BY run_id", 0);
  if (!q) return q.error();
  std::vector<std::int64_t> out;
  while (q->next())
    out.push_back(q->int64(0));
  return out;
}

Result<std::vector<RunMetrics>> metrics_of_file(const std::string& path) {
  auto db = sim::open_results_db_for_reading(path);
  if (!db) return db.error();
  sqlite3* raw = db->get();
  auto ids = list_runs(raw);
  if (!ids) return Error{"results DB '" + path + "': " + ids.error().message};
  std::vector<RunMetrics> out;
  for (auto id : *ids) {
    auto m = compute_metrics(raw, id);
    if (!m) return m.error();
    out.push_back(std::move(*m));
  }
  return out;
}

namespace {

// churn_per_link_hour, connected_fraction: over the summary's links (the dial rule's
// pairs), each from the later of its two nodes' starts.
Result<bool> link_time_metrics(sqlite3* db, const sim::RunSummary& summary, RunMetrics& m) {
  const std::int64_t run_id = summary.run_id;
  const SimTime end = summary.duration_ns;
  std::vector<SimTime> starts;
  {
    auto q = query(db, "SELECT start_ns FROM nodes WHERE run_id=?1 ORDER BY node_id", run_id);
    if (!q) return q.error();
    while (q->next())
      starts.push_back(q->int64(0));
  }
  double link_ns = 0, up_ns = 0, conns = 0;
  for (const auto& l : summary.links) {
    if (l.dialer >= starts.size() || l.listener >= starts.size()) continue;
    const double span = static_cast<double>(
        std::max<SimTime>(end - std::max(starts[l.dialer], starts[l.listener]), 1));
    link_ns += span;
    up_ns += l.up_fraction * span;
    conns += static_cast<double>(l.connections);
  }
  if (link_ns > 0) {
    m.at("churn_per_link_hour") = conns * kNsPerHour / link_ns;
    m.at("connected_fraction") = up_ns / link_ns;
  }

  return true;
}

// lifetime_median_s, lifetime_p95_s (view connection_lifetimes, created by the recorder).
Result<bool> lifetime_metrics(sqlite3* db, std::int64_t run_id, RunMetrics& m) {
  {
    auto q = query(db, "SELECT lifetime_ns FROM connection_lifetimes WHERE run_id=?1", run_id);
    if (!q) return q.error();
    std::vector<double> life;
    while (q->next())
      life.push_back(static_cast<double>(q->int64(0)) / kNsPerS);
    std::sort(life.begin(), life.end());
    if (!life.empty()) {
      m.at("lifetime_median_s") = median(life);
      m.at("lifetime_p95_s") = percentile(life, 0.95);
    }
  }

  return true;
}

// handshake_failures_per_hour, protocol_errors_per_hour.
Result<bool> failure_metrics(sqlite3* db, const sim::RunSummary& summary, RunMetrics& m) {
  const std::int64_t run_id = summary.run_id;
  const SimTime end = summary.duration_ns;
  const double hours = static_cast<double>(std::max<SimTime>(end, 1)) / kNsPerHour;
  {
    auto q = query(db,
                   "SELECT count(*) FROM connections WHERE run_id=?1 AND t_connect_ns IS NOT NULL "
                   "AND t_handshake_ns IS NULL AND open_at_end=0",
                   run_id);
    if (!q) return q.error();
    if (q->next()) m.at("handshake_failures_per_hour") = static_cast<double>(q->int64(0)) / hours;
  }
  m.at("protocol_errors_per_hour") = static_cast<double>(summary.protocol_errors) / hours;

  return true;
}

// reconnect_after_fault_s: from each fault-charged close to the link's next connection.
Result<bool> reconnect_metrics(sqlite3* db, std::int64_t run_id, RunMetrics& m) {
  if (has_column(db, "connections", "fault_id") && has_column(db, "faults", "end_ns")) {
    auto q =
        query(db,
              "SELECT max(c.t_close_ns, COALESCE(min(f.end_ns, r.end_ns), c.t_close_ns)) AS t0,"
              "  (SELECT min(n.t_connect_ns) FROM connections n WHERE n.run_id=c.run_id"
              "     AND n.dialer=c.dialer AND n.listener=c.listener AND n.t_connect_ns IS NOT NULL"
              "     AND n.t_dial_ns >= c.t_close_ns"
              "     AND n.t_connect_ns >= max(c.t_close_ns, COALESCE(f.end_ns, 0))) AS t1,"
              "  COALESCE(r.end_ns, r.duration_ns) AS t_end "
              "FROM connections c JOIN faults f ON f.run_id=c.run_id AND f.fault_id=c.fault_id"
              "  JOIN runs r ON r.run_id=c.run_id "
              "WHERE c.run_id=?1 AND c.t_connect_ns IS NOT NULL AND c.open_at_end=0 "
              "ORDER BY c.conn_id",
              run_id);
    if (!q) return q.error();
    double sum = 0;
    std::size_t n = 0;
    while (q->next()) {
      const std::int64_t t0 = q->int64(0);
      const std::int64_t t1 = q->is_null(1) ? q->int64(2) : q->int64(1);
      sum += static_cast<double>(std::max<std::int64_t>(t1 - t0, 0)) / kNsPerS;
      ++n;
    }
    if (n > 0) m.at("reconnect_after_fault_s") = sum / static_cast<double>(n);
  }

  return true;
}

// blocks_committed, finality_s: only when a blocks table exists (the consensus model
// writes it).
Result<bool> consensus_metrics(sqlite3* db, std::int64_t run_id, RunMetrics& m) {
  if (has_column(db, "blocks", "height") && has_column(db, "blocks", "run_id")) {
    auto q = query(db, "SELECT count(DISTINCT height) FROM blocks WHERE run_id=?1", run_id);
    if (!q) return q.error();
    if (q->next()) m.at("blocks_committed") = static_cast<double>(q->int64(0));
    if (has_column(db, "blocks", "t_finalized_ns") && has_column(db, "blocks", "t_proposed_ns")) {
      auto f = query(db,
                     "SELECT avg(t_finalized_ns - t_proposed_ns) FROM blocks WHERE run_id=?1 "
                     "AND t_proposed_ns IS NOT NULL",
                     run_id);
      if (!f) return f.error();
      if (f->next() && !f->is_null(0)) m.at("finality_s") = f->real(0) / kNsPerS;
    }
  }
  return true;
}

}  // namespace

Result<RunMetrics> compute_metrics(sqlite3* db, std::int64_t run_id) {
  auto summary = sim::summarize(db, run_id);
  if (!summary) return summary.error();
  RunMetrics m;
  m.run_id = summary->run_id;
  m.seed = summary->seed;
  m.scenario = summary->scenario;
  m.values.assign(metric_defs().size(), std::nullopt);
  run_id = summary->run_id;
  if (has_column(db, "runs", "fingerprint")) {
    auto q = query(db, "SELECT COALESCE(fingerprint, '') FROM runs WHERE run_id=?1", run_id);
    if (!q) return q.error();
    if (q->next()) m.fingerprint = q->text(0);
  }
  if (auto r = link_time_metrics(db, *summary, m); !r) return r.error();
  if (auto r = lifetime_metrics(db, run_id, m); !r) return r.error();
  if (auto r = failure_metrics(db, *summary, m); !r) return r.error();
  if (auto r = reconnect_metrics(db, run_id, m); !r) return r.error();
  if (auto r = consensus_metrics(db, run_id, m); !r) return r.error();
  return m;
}

}  // namespace ts::analysis
