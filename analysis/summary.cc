#include "analysis/summary.h"

#include "node_core/version_profile.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "analysis/link_accumulator.h"
#include "analysis/summary_inputs.h"
#include "node_core/node.h"
#include "node_core/profile_fields.h"
#include "scenario/scenario.h"
#include "store/results_db.h"
#include "store/sqlite.h"

namespace ts::sim {
namespace {

std::string fmt_dur(Duration d) {
  if (d < 0) return "-";
  if (d >= kHour) return fmt::format("{:.2f}h", static_cast<double>(d) / kHour);
  if (d >= 100 * kSecond) return fmt::format("{:.1f}m", static_cast<double>(d) / kMinute);
  if (d >= kSecond) return fmt::format("{:.2f}s", static_cast<double>(d) / kSecond);
  return fmt::format("{:.1f}ms", static_cast<double>(d) / kMillisecond);
}

bool has_table(sqlite3* db, const char* name) {
  auto q =
      sql::Statement::prepare(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1");
  return q && q->bind(1, name).next();
}

}  // namespace

Result<std::map<std::string, node::VersionProfile>> run_profiles(
    sqlite3* db, std::int64_t run_id, const std::vector<std::string>& versions) {
  std::map<std::string, node::VersionProfile> out;
  for (const auto& v : versions) {
    const auto* builtin = node::find_profile(v);
    out.emplace(v, builtin ? *builtin : node::VersionProfile{});
  }
  if (!has_table(db, "profiles")) return out;
  auto q = prepare_for_run(
      db,
      "SELECT name, key, number FROM profiles WHERE run_id=?1 AND number IS NOT NULL "
      "ORDER BY rowid",
      run_id);
  if (!q) return q.error();
  while (q->next()) {
    const auto* f = node::find_profile_field(q->text(1));
    if (!f) continue;  // a field this timesim does not know (a newer DB's)
    const std::int64_t n = q->int64(2);
    node::FieldValue v;
    switch (f->type) {
      case node::FieldType::kBool:
        v = n != 0;
        break;
      case node::FieldType::kCount:
      case node::FieldType::kBytes:
        if (n < 0) continue;
        v = node::FieldValue(std::in_place_type<std::uint64_t>, static_cast<std::uint64_t>(n));
        break;
      case node::FieldType::kDuration:
        if (n < f->min) continue;  // never written; a hand-edited row cannot make 0 intervals
        v = node::FieldValue(std::in_place_type<Duration>, n);
        break;
      case node::FieldType::kString:
      case node::FieldType::kEnum:
        continue;
    }
    f->set(out[q->text(0)], v);
  }
  return out;
}

namespace {}  // namespace

// `timers`: the profile with the shortest block interval among the nodes' (slots are counted
// on its grid).
Result<ConsensusSummary> summarize_consensus(sqlite3* db, std::int64_t run_id, Duration duration_ns,
                                             const node::ProtocolTimers& timers) {
  ConsensusSummary c;
  auto one = [&](const char* sql) -> Result<std::int64_t> {
    auto q = prepare_for_run(db, sql, run_id);
    if (!q) return q.error();
    if (!q->next()) return std::int64_t{0};
    return q->int64(0);
  };
  auto any = one(
      "SELECT (SELECT count(*) FROM samples WHERE run_id=?1) + (SELECT count(*) FROM proposals "
      "WHERE run_id=?1) + (SELECT count(*) FROM blocks WHERE run_id=?1) + (SELECT count(*) FROM "
      "node_events WHERE run_id=?1 AND kind='slot_skipped')");
  if (!any) return any.error();
  if (*any == 0) return c;
  c.present = true;
  c.block_interval_ns = timers.block_interval_ns;
  c.min_active_masternodes = timers.min_active_masternodes;
  c.slots = static_cast<std::uint64_t>(duration_ns / timers.block_interval_ns);
  for (auto [sql, field] :
       {std::pair{"SELECT count(*) FROM proposals WHERE run_id=?1", &c.proposals},
        std::pair{"SELECT count(*) FROM node_events WHERE run_id=?1 AND kind='slot_skipped'",
                  &c.skipped},
        std::pair{"SELECT count(DISTINCT height) FROM blocks WHERE run_id=?1", &c.blocks},
        std::pair{"SELECT count(*) FROM blocks WHERE run_id=?1 AND how='sync'", &c.synced},
        std::pair{"SELECT COALESCE(max(h), 0) FROM (SELECT COALESCE((SELECT max(height) FROM "
                  "blocks b WHERE b.run_id=?1 AND b.node=n.node_id), 0) AS h FROM nodes n WHERE "
                  "n.run_id=?1)",
                  &c.max_height},
        std::pair{"SELECT COALESCE(min(h), 0) FROM (SELECT COALESCE((SELECT max(height) FROM "
                  "blocks b WHERE b.run_id=?1 AND b.node=n.node_id), 0) AS h FROM nodes n WHERE "
                  "n.run_id=?1)",
                  &c.min_height},
        std::pair{"SELECT count(*) FROM samples WHERE run_id=?1", &c.samples},
        std::pair{"SELECT count(*) FROM (SELECT height FROM blocks WHERE run_id=?1 GROUP BY height "
                  "HAVING count(DISTINCT block_hash) > 1)",
                  &c.forked_heights},
        std::pair{"SELECT count(*) FROM node_events WHERE run_id=?1 AND kind='tx_submitted'",
                  &c.tx_submitted},
        std::pair{"SELECT count(DISTINCT txid) FROM transactions WHERE run_id=?1", &c.tx_final_any},
        std::pair{"SELECT count(*) FROM (SELECT txid FROM transactions WHERE run_id=?1 GROUP BY "
                  "txid HAVING count(DISTINCT node) = (SELECT count(*) FROM nodes WHERE "
                  "run_id=?1))",
                  &c.tx_final_all},
        std::pair{"SELECT COALESCE(sum(t), 0) FROM (SELECT max(transactions) AS t FROM blocks "
                  "WHERE run_id=?1 GROUP BY height)",
                  &c.tx_in_blocks},
        std::pair{"SELECT COALESCE(max(s), 0) FROM (SELECT max(height) - min(height) AS s FROM "
                  "samples WHERE run_id=?1 GROUP BY t_ns)",
                  &c.max_spread},
        std::pair{"SELECT COALESCE(min(active_masternodes), 0) FROM samples WHERE run_id=?1",
                  &c.active_min},
        std::pair{"SELECT COALESCE(max(active_masternodes), 0) FROM samples WHERE run_id=?1",
                  &c.active_max}}) {
    auto v = one(sql);
    if (!v) return v.error();
    *field = static_cast<std::uint64_t>(*v);
  }
  // Median and p95 of a sorted column of durations (unchanged when there are none).
  auto spread = [&](const char* sql, Duration& med, Duration& p95) -> Result<bool> {
    auto q = prepare_for_run(db, sql, run_id);
    if (!q) return q.error();
    std::vector<Duration> v;
    while (q->next())
      v.push_back(q->int64(0));
    if (!v.empty()) {
      med = median(v);
      p95 = v[std::min(v.size() - 1, (v.size() * 95 + 99) / 100 - 1)];
    }
    return true;
  };
  if (auto ok = spread("SELECT t_finalized_ns - t_proposed_ns FROM blocks WHERE run_id=?1 AND "
                       "t_proposed_ns IS NOT NULL ORDER BY 1",
                       c.finality_median_ns, c.finality_p95_ns);
      !ok)
    return ok.error();
  if (auto ok = spread("SELECT t_final_ns - t_submitted_ns FROM transactions WHERE run_id=?1 AND "
                       "t_submitted_ns IS NOT NULL ORDER BY 1",
                       c.tx_final_median_ns, c.tx_final_p95_ns);
      !ok)
    return ok.error();
  {
    auto q =
        prepare_for_run(db,
                        "SELECT min(t_finalized_ns) FROM blocks WHERE run_id=?1 GROUP BY height "
                        "ORDER BY height",
                        run_id);
    if (!q) return q.error();
    SimTime last = 0;
    while (q->next()) {
      const SimTime t = q->int64(0);
      c.longest_gap_ns = std::max(c.longest_gap_ns, t - last);
      last = std::max(last, t);
    }
    c.longest_gap_ns = std::max(c.longest_gap_ns, duration_ns - last);
  }
  return c;
}

namespace {

// The id of the DB's last run.
Result<std::int64_t> latest_run(sqlite3* db) {
  auto q = prepare_for_run(db, "SELECT max(run_id) FROM runs WHERE ?1 IS NOT NULL", 0);
  if (!q) return q.error();
  if (!q->next() || q->is_null(0)) return Error{"the results DB holds no run"};
  return q->int64(0);
}

// The run's `runs` row into `out` (id, scenario, mode, status, seed, duration, events).
Result<bool> read_run(sqlite3* db, std::int64_t run_id, RunSummary& out) {
  auto q = prepare_for_run(db,
                           "SELECT scenario, mode, status, seed, duration_ns, COALESCE(events,0), "
                           "COALESCE(end_ns, duration_ns) FROM runs WHERE run_id=?1",
                           run_id);
  if (!q) return q.error();
  if (!q->next()) return Error{fmt::format("no run {} in the DB", run_id)};
  out.run_id = run_id;
  out.scenario = q->text(0);
  out.mode = q->text(1);
  out.status = q->text(2);
  out.seed = static_cast<std::uint64_t>(q->int64(3));
  out.duration_ns = q->int64(6);
  out.events = static_cast<std::uint64_t>(q->int64(5));
  return true;
}

Result<bool> count_into(sqlite3* db, const char* sql, std::int64_t run_id, std::uint64_t& n);

// `+run_id` keeps SQLite from walking an index that starts with run_id and then fetching every
// row by rowid, a random read each: it scans the table in its own order (the rows' close
// order; reading them in link order through an index fetched each by rowid cost 12.7 s of
// the 1,000-node churn hour's 2.7 million rows, against about 1 s for a scan).
// kLinkRowsByIdSql, for a run that holds a small part of the table, finds its rows through
// an index.
#define TS_LINK_ROWS_COLUMNS                                                                 \
  "SELECT dialer, listener, conn_id, t_connect_ns, t_closed_dialer_ns, close_reason_label, " \
  "protocol_errors, dialer_version_label, listener_version_label, pings_sent, "              \
  "pongs_matched, rtt_avg_ns, t_last_ping_ns, fault_id IS NOT NULL, error_by IS NOT NULL, "  \
  "t_dial_ns FROM connection_times WHERE "
constexpr const char* kLinkRowsSql = TS_LINK_ROWS_COLUMNS "+run_id=?1";
constexpr const char* kLinkRowsByIdSql = TS_LINK_ROWS_COLUMNS "run_id=?1";
#undef TS_LINK_ROWS_COLUMNS

// One row of kLinkRowsSql, as the Recorder showed it to a ConnRowObserver.
ConnRowDigest digest(const sql::Statement& s) {
  auto time_or_never = [&s](int col) { return s.is_null(col) ? kNever : s.int64(col); };
  ConnRowDigest r;
  r.dialer = static_cast<std::uint32_t>(s.int64(0));
  r.listener = static_cast<std::uint32_t>(s.int64(1));
  r.conn_id = static_cast<std::uint64_t>(s.int64(2));
  r.t_connect = time_or_never(3);
  r.t_closed_dialer = time_or_never(4);
  r.close_reason = s.int64(5);
  r.protocol_errors = s.int64(6);
  r.dialer_version = s.int64(7);
  r.listener_version = s.int64(8);
  r.pings_sent = s.int64(9);
  r.pongs_matched = s.int64(10);
  r.rtt_avg = s.int64(11);
  r.t_last_ping = time_or_never(12);
  r.faulted = s.int64(13) != 0;
  r.error_in_row = s.int64(14) != 0;
  r.t_dial = s.int64(15);
  return r;
}

// The run's connection rows into `acc`, from one scan (any order). The counts and the scan
// read one snapshot (a savepoint: a read transaction, also inside a caller's transaction).
Result<bool> scan_links(sqlite3* db, std::int64_t run_id, std::size_t nodes, LinkAccumulator& acc) {
  if (auto ok = sql::exec(db, "SAVEPOINT summary_links"); !ok) return ok.error();
  struct Release {
    sqlite3* db;
    ~Release() { (void)sql::exec(db, "RELEASE summary_links"); }
  } release{db};
  // A scan of connection_rows (runs recorded by schema 7 and 8) reads every run's rows: worth
  // it when this run's are a good part of them. (Row counts: an index lookup each; the
  // table's rows by its largest rowid.) A schema 9 run's rows are one range of
  // connection_core either way.
  std::uint64_t table_rows = 0, run_rows = 0;
  if (has_table(db, "connection_rows"))
    for (auto [sql, n] :
         {std::pair{"SELECT COALESCE(max(rowid), 0) FROM connection_rows WHERE ?1 NOT NULL",
                    &table_rows},
          std::pair{"SELECT count(*) FROM connection_rows WHERE run_id=?1", &run_rows}})
      if (auto r = count_into(db, sql, run_id, *n); !r) return r.error();
  auto q =
      prepare_for_run(db, run_rows * 4 >= table_rows ? kLinkRowsSql : kLinkRowsByIdSql, run_id);
  if (!q) return q.error();
  while (q->next()) {
    const ConnRowDigest r = digest(*q);
    if (r.dialer < nodes && r.listener < nodes)
      acc.add(r);
    else
      acc.add_unlinked(r);
  }
  return q->status();
}

// out.links, out.pairs, the link classes, out.connections and out.connections_ended_by_faults,
// from `streamed` when it holds exactly the run's rows, else from a scan of the DB; returns
// the profiles of every version the nodes and rows name.
Result<Profiles> summarize_links(sqlite3* db, std::int64_t run_id,
                                 const std::vector<NodeRow>& nodes, RunSummary& out,
                                 LinkAccumulator* streamed) {
  auto labels = Labels::read(db, run_id);
  if (!labels) return labels.error();
  LinkAccumulator scanned(out.duration_ns);
  LinkAccumulator* acc = streamed;
  if (acc && acc->exact_for(nodes.size(), out.duration_ns)) {
    // It saw every row of the run's (not one that was written before it was attached).
    std::uint64_t run_rows = 0;
    const char* count_sql = sim::run_connection_count_sql(has_table(db, "connection_rows"));
    if (auto r = count_into(db, count_sql, run_id, run_rows); !r) return r.error();
    if (run_rows != acc->rows()) acc = nullptr;
  } else {
    acc = nullptr;
  }
  if (!acc) {
    if (streamed) streamed->discard();  // before the scan builds its own
    if (auto ok = scan_links(db, run_id, nodes.size(), scanned); !ok) return ok.error();
    acc = &scanned;
  }
  auto profiles = run_profiles(db, run_id, acc->versions(nodes, *labels));
  if (!profiles) return profiles.error();
  acc->finish(out, nodes, *labels, *profiles);
  out.connections_ended_by_faults = acc->faulted();
  out.protocol_errors = acc->errors_in_rows();  // summarize() adds protocol_error_rows'
  return profiles;
}

// One (count) row of `sql` into `n`.
Result<bool> count_into(sqlite3* db, const char* sql, std::int64_t run_id, std::uint64_t& n) {
  auto q = prepare_for_run(db, sql, run_id);
  if (!q) return q.error();
  if (q->next()) n = static_cast<std::uint64_t>(q->int64(0));
  return true;
}

// The phases between upgrades (node_events of kind 'upgrade'); one "start" phase without.
Result<std::vector<PhaseSummary>> read_phases(sqlite3* db, std::int64_t run_id, SimTime end) {
  auto q = prepare_for_run(db,
                           "SELECT e.t_ns, n.name, e.detail FROM node_events e JOIN nodes n ON "
                           "n.run_id = e.run_id AND n.node_id = e.node WHERE e.run_id=?1 AND "
                           "e.kind='upgrade' ORDER BY e.t_ns, e.node",
                           run_id);
  if (!q) return q.error();
  std::vector<PhaseSummary> phases(1);
  phases[0].label = "start";
  while (q->next()) {
    const SimTime t = q->int64(0);
    const std::string label = "upgrade " + q->text(1) + " " + q->text(2);
    if (t == phases.back().start_ns && phases.size() > 1) {
      phases.back().label += ", " + label.substr(8);
      continue;
    }
    PhaseSummary p;
    p.start_ns = t;
    p.label = label;
    phases.push_back(std::move(p));
  }
  for (std::size_t i = 0; i < phases.size(); ++i)
    phases[i].end_ns = i + 1 < phases.size() ? phases[i + 1].start_ns : end;
  return phases;
}

// A link's connections within one phase.
struct PhaseAcc {
  std::uint64_t conns = 0;
  Duration up = 0;
  std::vector<Duration> lifetimes;
  std::string dialer_version;  // of the phase's first connection
};
using PhaseKey = std::tuple<std::size_t, std::uint32_t, std::uint32_t>;  // phase, dialer, listener

Result<std::map<PhaseKey, PhaseAcc>> accumulate_phases(sqlite3* db, std::int64_t run_id,
                                                       SimTime end,
                                                       const std::vector<PhaseSummary>& phases) {
  auto labels = Labels::read(db, run_id);
  if (!labels) return labels.error();
  auto c = prepare_for_run(
      db,
      "SELECT dialer, listener, t_connect_ns, COALESCE(t_closed_dialer_ns, ?2), "
      "dialer_version_label FROM connection_times WHERE run_id=?1 AND t_connect_ns IS NOT "
      "NULL ORDER BY conn_id",
      run_id);
  if (!c) return c.error();
  c->bind(2, end);
  std::map<PhaseKey, PhaseAcc> pa;
  while (c->next()) {
    const auto d = static_cast<std::uint32_t>(c->int64(0));
    const auto l = static_cast<std::uint32_t>(c->int64(1));
    const SimTime from = c->int64(2), to = c->int64(3);
    for (std::size_t i = 0; i < phases.size(); ++i) {
      const SimTime a = std::max(from, phases[i].start_ns), b = std::min(to, phases[i].end_ns);
      if (b <= a && !(from >= phases[i].start_ns && from < phases[i].end_ns)) continue;
      auto& acc = pa[{i, d, l}];
      acc.up += std::max<Duration>(0, b - a);
      if (acc.dialer_version.empty()) acc.dialer_version = labels->text(c->int64(4));
      if (from >= phases[i].start_ns && from < phases[i].end_ns) {
        ++acc.conns;
        acc.lifetimes.push_back(to - from);
      }
    }
  }
  return pa;
}

// Each link classified again on its connections in each phase.
void classify_phases(std::vector<PhaseSummary>& phases, const std::map<PhaseKey, PhaseAcc>& pa,
                     const std::vector<LinkSummary>& links, const Profiles& profiles) {
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const Duration span = std::max<Duration>(phases[i].end_ns - phases[i].start_ns, 1);
    for (const auto& link : links) {
      auto it = pa.find({i, link.dialer, link.listener});
      const PhaseAcc empty;
      const PhaseAcc& acc = it == pa.end() ? empty : it->second;
      // A link that stays up across the phase holds one connection from before it.
      const std::uint64_t conns = std::max<std::uint64_t>(acc.conns, acc.up > 0 ? 1 : 0);
      const std::string cls =
          classify(conns, static_cast<double>(acc.up) / span, median(acc.lifetimes),
                   ping_interval_of(profiles, acc.dialer_version.empty() ? link.dialer_version
                                                                         : acc.dialer_version));
      phases[i].cycling += cls == "cycling";
      phases[i].stable += cls == "stable";
      phases[i].flapping += cls == "flapping";
      phases[i].down += cls == "down";
    }
  }
}

// out.phases, when the run has upgrades.
Result<bool> summarize_phases(sqlite3* db, std::int64_t run_id, const Profiles& profiles,
                              RunSummary& out) {
  auto phases = read_phases(db, run_id, out.duration_ns);
  if (!phases) return phases.error();
  if (phases->size() <= 1) return true;
  auto pa = accumulate_phases(db, run_id, out.duration_ns, *phases);
  if (!pa) return pa.error();
  classify_phases(*phases, *pa, out.links, profiles);
  out.phases = std::move(*phases);
  return true;
}

// out.consensus, with the slot timing of the shortest block interval among the nodes.
Result<bool> add_consensus(sqlite3* db, std::int64_t run_id, const std::vector<NodeRow>& nodes,
                           const Profiles& profiles, RunSummary& out) {
  const node::ProtocolTimers* slot_timers = nullptr;
  for (const auto& n : nodes) {
    const auto& t = profiles.at(n.version).timers;
    if (!slot_timers || t.block_interval_ns < slot_timers->block_interval_ns) slot_timers = &t;
  }
  const node::ProtocolTimers defaults;
  auto c = summarize_consensus(db, run_id, out.duration_ns, slot_timers ? *slot_timers : defaults);
  if (!c) return c.error();
  out.consensus = *c;
  return true;
}

}  // namespace

Result<RunSummary> summarize(sqlite3* db, std::int64_t run_id, LinkAccumulator* streamed) {
  RunSummary out;
  if (run_id <= 0) {
    auto latest = latest_run(db);
    if (!latest) return latest.error();
    run_id = *latest;
  }
  if (auto r = read_run(db, run_id, out); !r) return r.error();
  auto nodes = read_nodes(db, run_id);
  if (!nodes) return nodes.error();
  out.nodes = nodes->size();
  auto profiles = summarize_links(db, run_id, *nodes, out, streamed);
  if (!profiles) return profiles.error();
  std::uint64_t error_rows = 0;
  if (auto r = count_into(db, "SELECT count(*) FROM protocol_error_rows WHERE run_id=?1", run_id,
                          error_rows);
      !r)
    return r.error();
  out.protocol_errors += error_rows;
  if (auto r = summarize_phases(db, run_id, *profiles, out); !r) return r.error();
  if (auto r = count_into(db, "SELECT count(*) FROM faults WHERE run_id=?1", run_id, out.faults);
      !r)
    return r.error();
  if (auto r = add_consensus(db, run_id, *nodes, *profiles, out); !r) return r.error();
  return out;
}

void print_summary(std::FILE* f, const RunSummary& s) {
  fmt::print(f, "run {} · scenario {} · seed {} · {} simulated · {} nodes · {} links · status {}\n",
             s.run_id, s.scenario, s.seed, fmt_dur(s.duration_ns), s.nodes, s.links.size(),
             s.status);
  constexpr std::size_t kMaxLinkRows = 60;
  if (s.links.size() > kMaxLinkRows)
    fmt::print(f, "\nPer link: {} links, too many to list (see the connections table)\n",
               s.links.size());
  else
    fmt::print(f,
               "\nPer link (dialer -> listener; the dialer is the node whose IP sorts first;"
               " versions at the start of the run)\n");
  if (s.links.size() <= kMaxLinkRows)
    fmt::print(f, "{:<34} {:<24} {:>6} {:>8} {:>9} {:>7} {:>7} {:>7} {:>8}  {:<25} {}\n", "link",
               "versions", "conns", "conn/h", "median", "up", "redial", "ping", "rtt",
               "main close reason", "class");
  for (const auto& l : s.links) {
    if (s.links.size() > kMaxLinkRows) break;
    fmt::print(f, "{:<34} {:<24} {:>6} {:>8.1f} {:>9} {:>6.1f}% {:>7} {:>7} {:>8}  {:<25} {}\n",
               fmt::format("{} -> {}", l.dialer_name, l.listener_name),
               fmt::format("{} -> {}", l.dialer_version, l.listener_version), l.connections,
               l.connections_per_hour, fmt_dur(l.median_lifetime_ns), 100.0 * l.up_fraction,
               fmt_dur(l.median_redial_gap_ns), fmt_dur(l.ping_interval_ns), fmt_dur(l.rtt_avg_ns),
               l.main_close_reason, l.link_class);
  }
  fmt::print(f, "\nPer version pair\n");
  fmt::print(f, "{:<26} {:>5} {:>7} {:>6} {:>8} {:>5} {:>7} {:>12} {:>9} {:>7} {:>8}\n",
             "dialer -> listener", "links", "cycling", "stable", "flapping", "down", "conns",
             "conn/link/h", "median", "up", "errors");
  for (const auto& p : s.pairs) {
    fmt::print(f, "{:<26} {:>5} {:>7} {:>6} {:>8} {:>5} {:>7} {:>12.1f} {:>9} {:>6.1f}% {:>8}\n",
               fmt::format("{} -> {}", p.dialer_version, p.listener_version), p.links, p.cycling,
               p.stable, p.flapping, p.down, p.connections, p.connections_per_link_hour,
               fmt_dur(p.median_lifetime_ns), 100.0 * p.up_fraction, p.protocol_errors);
  }
  if (!s.phases.empty()) {
    fmt::print(f, "\nPhases (the run split at each upgrade; links classified within the phase)\n");
    fmt::print(f, "{:>8} {:>8}  {:<56} {:>7} {:>6} {:>8} {:>5}\n", "from", "to", "began with",
               "cycling", "stable", "flapping", "down");
    for (const auto& p : s.phases)
      fmt::print(f, "{:>8} {:>8}  {:<56} {:>7} {:>6} {:>8} {:>5}\n", fmt_dur(p.start_ns),
                 fmt_dur(p.end_ns), p.label, p.cycling, p.stable, p.flapping, p.down);
    std::string steps;
    for (const auto& p : s.phases)
      steps += (steps.empty() ? "" : " -> ") + std::to_string(p.cycling);
    fmt::print(f, "cycling links by phase: {}\n", steps);
  }
  if (s.faults > 0)
    fmt::print(
        f, "\nfaults: {} scheduled · {} connections ended under a fault (see the faults table)\n",
        s.faults, s.connections_ended_by_faults);
  if (const auto& c = s.consensus; c.present) {
    fmt::print(f, "\nConsensus ({} slots of {}; docs/consensus.md)\n", c.slots,
               fmt_dur(c.block_interval_ns));
    fmt::print(f,
               "blocks committed: {} · proposals: {} · node-slots skipped (< {} active): {} · "
               "synced blocks: {} · forked heights: {}\n",
               c.blocks, c.proposals, c.min_active_masternodes, c.skipped, c.synced,
               c.forked_heights);
    if (c.samples > 0)
      fmt::print(f,
                 "final heights: {}..{} · max height spread at a sample: {} · active masternodes "
                 "seen: {}..{}\n",
                 c.min_height, c.max_height, c.max_spread, c.active_min, c.active_max);
    else
      fmt::print(f, "final heights: {}..{} · no samples recorded\n", c.min_height, c.max_height);
    if (c.tx_submitted > 0)
      fmt::print(f,
                 "transactions: {} submitted · final at every node: {} · at some node: {} · in "
                 "blocks: {} · finality median {}, p95 {}\n",
                 c.tx_submitted, c.tx_final_all, c.tx_final_any, c.tx_in_blocks,
                 fmt_dur(c.tx_final_median_ns), fmt_dur(c.tx_final_p95_ns));
    fmt::print(
        f, "finality (proposal -> applied): median {}, p95 {} · longest gap without a block: {}\n",
        fmt_dur(c.finality_median_ns), fmt_dur(c.finality_p95_ns), fmt_dur(c.longest_gap_ns));
  }
  fmt::print(f,
             "\nlinks: {} cycling, {} stable, {} flapping, {} down · {} connections · {} protocol "
             "errors\n",
             s.cycling, s.stable, s.flapping, s.down, s.connections, s.protocol_errors);
}

}  // namespace ts::sim
