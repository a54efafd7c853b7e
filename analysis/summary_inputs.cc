#include "analysis/summary_inputs.h"

#include "analysis/summary.h"

#include <algorithm>
#include <utility>

namespace ts::sim {

Result<sql::Statement> prepare_for_run(sqlite3* db, const char* sql, std::int64_t run_id) {
  auto s = sql::Statement::prepare(db, sql);
  if (!s)
    return Error{std::string("summary query failed on '") + sqlite3_db_filename(db, "main") +
                 "': " + s.error().message};
  s->bind(1, run_id);
  return s;
}

// In linear time: nth_element, then the largest of the lower half.
Duration median(std::vector<Duration> v) {
  if (v.empty()) return 0;
  const std::size_t n = v.size();
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (n % 2) return *mid;
  return (*std::max_element(v.begin(), mid) + *mid) / 2;
}

std::string classify(std::uint64_t connections, double up_fraction, Duration median_lifetime,
                     Duration ping_interval) {
  if (connections == 0) return "down";
  if (up_fraction >= 0.9) return "stable";
  if (connections >= 3 && median_lifetime < kCyclingPingIntervals * ping_interval) return "cycling";
  return "flapping";
}

Result<std::vector<NodeRow>> read_nodes(sqlite3* db, std::int64_t run_id) {
  auto q = prepare_for_run(
      db, "SELECT name, ip, version, start_ns FROM nodes WHERE run_id=?1 ORDER BY node_id", run_id);
  if (!q) return q.error();
  std::vector<NodeRow> nodes;
  while (q->next())
    nodes.push_back({q->text(0), q->text(1), q->text(2), q->int64(3)});
  return nodes;
}

Result<Labels> Labels::read(sqlite3* db, std::int64_t run_id) {
  auto q = prepare_for_run(db, "SELECT label_id, text FROM labels WHERE run_id=?1", run_id);
  if (!q) return q.error();
  std::vector<std::pair<std::int64_t, std::string>> rows;
  while (q->next())
    rows.emplace_back(q->int64(0), q->text(1));
  // The recorder numbers a run's labels 1..n; an id outside that (a DB written by hand)
  // is left out rather than sizing the table by it.
  Labels out;
  out.text_.resize(rows.size() + 1);
  for (auto& [id, text] : rows)
    if (id >= 1 && static_cast<std::size_t>(id) <= rows.size())
      out.text_[static_cast<std::size_t>(id)] = std::move(text);
  return out;
}

}  // namespace ts::sim
