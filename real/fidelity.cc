#include "real/fidelity.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "real/node_log.h"
#include "store/sqlite.h"

namespace ts::real {
namespace {

// `sql` with `run_id` bound to ?1 when it has a parameter.
Result<sql::Statement> prepare(sqlite3* db, const char* sql, std::int64_t run_id) {
  auto s = sql::Statement::prepare(db, sql);
  if (!s) return Error{"results DB: " + s.error().message};
  if (s->parameter_count() >= 1) s->bind(1, run_id);
  return s;
}

// Column `i`, kNever for NULL.
std::int64_t opt(const sql::Statement& s, int i) {
  return s.is_null(i) ? kNever : s.int64(i);
}

Duration median(std::vector<Duration> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Row {
  std::int64_t conn_id, t_dial, t_connect, t_closed, pings, t_last_ping;
  std::string reason, closed_by;
  bool open_at_end;
};

// The metrics of one link from its connections (in dial order).
LinkMetrics link_of(const std::vector<Row>& rows, Duration end_ns,
                    const std::map<std::int64_t, std::vector<std::string>>& errors,
                    bool first_only) {
  LinkMetrics m;
  std::vector<Duration> lives, gaps;
  Duration up = 0, ping_span = 0;
  std::int64_t periodic = 0, lines = 0, last_close = kNever;
  for (const auto& r : rows) {
    const SimTime closed = r.t_closed == kNever ? end_ns : r.t_closed;
    if (last_close != kNever) gaps.push_back(r.t_dial - last_close);
    last_close = closed;
    if (auto it = errors.find(r.conn_id); it != errors.end())
      for (const auto& t : it->second) {
        ++lines;
        m.error_texts.insert(normalize_addresses(t));
      }
    if (r.t_connect == kNever) continue;
    ++m.connections;
    lives.push_back(closed - r.t_connect);
    up += std::min(closed, end_ns) - r.t_connect;
    if (r.pings > 2) {
      ping_span += r.t_last_ping - r.t_connect;
      periodic += r.pings - 2;
    }
  }
  m.median_lifetime_ns = median(lives);
  m.redial_ns = median(gaps);
  if (periodic > 0) m.ping_interval_ns = ping_span / periodic;
  m.errors_per_connection =
      rows.empty() ? 0 : static_cast<double>(lines) / static_cast<double>(rows.size());
  const double up_fraction =
      static_cast<double>(up) / static_cast<double>(std::max<Duration>(end_ns, 1));
  if (first_only) {
    const Row& r = rows.front();
    m.link_class = r.open_at_end ? "open" : "closed:" + r.reason + "/" + r.closed_by;
  } else if (m.connections == 0) {
    m.link_class = "down";
  } else if (up_fraction >= 0.9) {  // analysis/summary.h's rule
    m.link_class = "stable";
  } else if (m.connections >= 3 && m.median_lifetime_ns < 60 * kSecond) {
    m.link_class = "cycling";
  } else {
    m.link_class = "flapping";
  }
  return m;
}

}  // namespace

Result<std::string> real_engine(sqlite3* db, std::int64_t run_id) {
  auto st = prepare(db,
                    "SELECT detail FROM node_events WHERE run_id=?1 AND kind='start' AND "
                    "detail LIKE 'real %' ORDER BY node LIMIT 1",
                    run_id);
  if (!st) return st.error();
  if (!st->next()) return std::string();
  const std::string d = st->text(0);  // "real ENGINE COMMIT on IP:PORT"
  const auto a = d.find(' ') + 1, b = d.find(' ', a);
  return d.substr(a, b - a);
}

Result<RunMetrics> measure_run(sqlite3* db, std::int64_t run_id, bool first_only) {
  RunMetrics out;
  {
    auto st = prepare(db,
                      run_id > 0 ? "SELECT run_id, mode, COALESCE(end_ns, duration_ns) FROM "
                                   "runs WHERE run_id=?1"
                                 : "SELECT run_id, mode, COALESCE(end_ns, duration_ns) FROM "
                                   "runs WHERE mode='real' ORDER BY run_id DESC LIMIT 1",
                      run_id);
    if (!st) return st.error();
    if (!st->next())
      return Error{run_id > 0 ? fmt::format("no run {} in the DB", run_id)
                              : std::string("the DB holds no run with mode 'real'")};
    out.run_id = st->int64(0);
    out.mode = st->text(1);
    out.end_ns = st->int64(2);
  }
  if (out.mode == "real") {
    auto e = real_engine(db, out.run_id);
    if (!e) return e.error();
    out.engine = *e;
    auto st = prepare(db,
                      "SELECT n.ip FROM node_events e JOIN nodes n ON n.run_id=e.run_id AND "
                      "n.node_id=e.node WHERE e.run_id=?1 AND e.kind='start' AND e.detail "
                      "LIKE 'model %' ORDER BY e.node",
                      out.run_id);
    if (!st) return st.error();
    while (st->next())
      out.model_ips.push_back(st->text(0));
  }
  std::map<std::int64_t, std::string> ip;
  {
    auto st = prepare(db, "SELECT node_id, ip FROM nodes WHERE run_id=?1", out.run_id);
    if (!st) return st.error();
    while (st->next())
      ip[st->int64(0)] = st->text(1);
  }
  std::map<std::int64_t, std::vector<std::string>> errors;
  {
    auto st = prepare(db,
                      "SELECT conn_id, text FROM protocol_errors WHERE run_id=?1 ORDER BY "
                      "t_ns, conn_id",
                      out.run_id);
    if (!st) return st.error();
    while (st->next())
      errors[st->int64(0)].push_back(st->text(1));
  }
  auto st = prepare(db,
                    "SELECT dialer, listener, conn_id, t_dial_ns, t_connect_ns, "
                    "t_closed_dialer_ns, close_reason, closed_by, open_at_end, pings_sent, "
                    "t_last_ping_ns FROM connections WHERE run_id=?1 ORDER BY dialer, "
                    "listener, conn_id",
                    out.run_id);
  if (!st) return st.error();
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<Row>> by_link;
  while (st->next()) {
    auto& rows = by_link[{st->int64(0), st->int64(1)}];
    if (first_only && !rows.empty()) continue;
    rows.push_back(Row{st->int64(2), opt(*st, 3), opt(*st, 4), opt(*st, 5), st->int64(9),
                       opt(*st, 10), st->text(6), st->text(7), st->int64(8) != 0});
  }
  for (const auto& [k, rows] : by_link) {
    LinkMetrics m = link_of(rows, out.end_ns, errors, first_only);
    m.dialer_ip = ip[k.first];
    m.listener_ip = ip[k.second];
    out.links[{m.dialer_ip, m.listener_ip}] = std::move(m);
  }
  return out;
}

namespace {
bool close_rel(double a, double b, double tol) {
  if (a < 0 && b < 0) return true;
  if (a < 0 || b < 0) return false;
  const double m = std::max(std::abs(a), std::abs(b));
  return m == 0 || std::abs(a - b) / m <= tol;
}
}  // namespace

std::vector<LinkVerdict> compare_links(const RunMetrics& sim, const RunMetrics& real,
                                       const Tolerances& tol, bool first_only) {
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [k, v] : sim.links)
    keys.insert(k);
  for (const auto& [k, v] : real.links)
    keys.insert(k);
  std::vector<LinkVerdict> out;
  for (const auto& k : keys) {
    LinkVerdict v{k.first, k.second, nullptr, nullptr, {}};
    if (auto it = sim.links.find(k); it != sim.links.end()) v.sim = &it->second;
    if (auto it = real.links.find(k); it != real.links.end()) v.real = &it->second;
    if (!v.sim || !v.real) {
      v.differs.push_back(v.sim ? "no real connection" : "no sim connection");
      out.push_back(std::move(v));
      continue;
    }
    const LinkMetrics &a = *v.sim, &b = *v.real;
    auto check = [&](bool ok, const char* what) {
      if (!ok) v.differs.push_back(what);
    };
    check(a.link_class == b.link_class, "class");
    if (!first_only) {
      check(close_rel(static_cast<double>(a.connections), static_cast<double>(b.connections),
                      tol.connections_relative),
            "connections");
      check(close_rel(static_cast<double>(a.redial_ns), static_cast<double>(b.redial_ns),
                      tol.relative),
            "redial");
    }
    const bool life_ok =
        (a.median_lifetime_ns < 0) == (b.median_lifetime_ns < 0) &&
        (std::abs(a.median_lifetime_ns - b.median_lifetime_ns) <= tol.lifetime_absolute_ns ||
         close_rel(static_cast<double>(a.median_lifetime_ns),
                   static_cast<double>(b.median_lifetime_ns), tol.lifetime_relative));
    check(life_ok, "lifetime");
    check(close_rel(static_cast<double>(a.ping_interval_ns),
                    static_cast<double>(b.ping_interval_ns), tol.relative),
          "ping");
    check(a.error_texts == b.error_texts, "error lines");
    check(close_rel(a.errors_per_connection, b.errors_per_connection, tol.connections_relative),
          "errors/conn");
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace ts::real
