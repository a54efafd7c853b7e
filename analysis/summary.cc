#include "analysis/summary.h"

#include "node_core/version_profile.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "node_core/node.h"
#include "node_core/profile_fields.h"
#include "scenario/scenario.h"
#include "store/sqlite.h"

namespace ts::sim {
namespace {

// `sql` with `run_id` bound to ?1.
Result<sql::Statement> prepare(sqlite3* db, const char* sql, std::int64_t run_id) {
  auto s = sql::Statement::prepare(db, sql);
  if (!s)
    return Error{std::string("summary query failed on '") + sqlite3_db_filename(db, "main") +
                 "': " + s.error().message};
  s->bind(1, run_id);
  return s;
}

// The median (of the two middle values, their mean rounded toward zero); 0 for none. In
// linear time: nth_element, then the largest of the lower half.
Duration median(std::vector<Duration> v) {
  if (v.empty()) return 0;
  const std::size_t n = v.size();
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (n % 2) return *mid;
  return (*std::max_element(v.begin(), mid) + *mid) / 2;
}

std::string fmt_dur(Duration d) {
  if (d < 0) return "-";
  if (d >= kHour) return fmt::format("{:.2f}h", static_cast<double>(d) / kHour);
  if (d >= 100 * kSecond) return fmt::format("{:.1f}m", static_cast<double>(d) / kMinute);
  if (d >= kSecond) return fmt::format("{:.2f}s", static_cast<double>(d) / kSecond);
  return fmt::format("{:.1f}ms", static_cast<double>(d) / kMillisecond);
}

// The class of a link from its connections: see the header for the rule. `ping_interval`
// is the dialer's (its profile's ping.interval).
std::string classify(std::uint64_t connections, double up_fraction, Duration median_lifetime,
                     Duration ping_interval) {
  if (connections == 0) return "down";
  if (up_fraction >= 0.9) return "stable";
  if (connections >= 3 && median_lifetime < kCyclingPingIntervals * ping_interval) return "cycling";
  return "flapping";
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
  auto q = prepare(db,
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
    auto q = prepare(db, sql, run_id);
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
    auto q = prepare(db, sql, run_id);
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
    auto q = prepare(db,
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

using Profiles = std::map<std::string, node::VersionProfile>;

Duration ping_interval_of(const Profiles& profiles, const std::string& version) {
  return profiles.at(version).timers.ping_interval_ns;
}

struct NodeRow {
  std::string name, ip, version;
  SimTime start;
};

// The id of the DB's last run.
Result<std::int64_t> latest_run(sqlite3* db) {
  auto q = prepare(db, "SELECT max(run_id) FROM runs WHERE ?1 IS NOT NULL", 0);
  if (!q) return q.error();
  if (!q->next() || q->is_null(0)) return Error{"the results DB holds no run"};
  return q->int64(0);
}

// The run's `runs` row into `out` (id, scenario, mode, status, seed, duration, events).
Result<bool> read_run(sqlite3* db, std::int64_t run_id, RunSummary& out) {
  auto q = prepare(db,
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

// The run's labels (schema 7: the text behind connection_times' *_label columns).
class Labels {
 public:
  static Result<Labels> read(sqlite3* db, std::int64_t run_id) {
    auto q = prepare(db, "SELECT label_id, text FROM labels WHERE run_id=?1", run_id);
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
  // The text of label `id` ("" for one the run does not have).
  std::string_view text(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < text_.size()
               ? std::string_view(text_[static_cast<std::size_t>(id)])
               : std::string_view();
  }

 private:
  std::vector<std::string> text_;  // by label_id
};

// The run's nodes, indexed by node id.
Result<std::vector<NodeRow>> read_nodes(sqlite3* db, std::int64_t run_id) {
  auto q = prepare(
      db, "SELECT name, ip, version, start_ns FROM nodes WHERE run_id=?1 ORDER BY node_id", run_id);
  if (!q) return q.error();
  std::vector<NodeRow> nodes;
  while (q->next())
    nodes.push_back({q->text(0), q->text(1), q->text(2), q->int64(3)});
  return nodes;
}

Result<bool> count_into(sqlite3* db, const char* sql, std::int64_t run_id, std::uint64_t& n);

// Builds one LinkSummary per dialer -> listener pair from one scan of the run's connection
// rows in the table's order (close order), so that no index by link is needed and no row is
// fetched out of the table's order (reading them in link order through an index fetched each
// by rowid, a random read: 12.7 s of the 1,000-node churn hour's 2.7 million rows, against
// about 1 s for a scan). What follows the connections' dial order (dialer, listener,
// t_dial_ns, conn_id) -- the redial gaps, and the first connection, whose versions name the
// link -- is worked out at the end: each link keeps its connections' dial times and closes
// and sorts them. Memory: 24 bytes per connection for that (freed link by link), and 16 per
// connection's lifetime and gap (the medians need them all).
class LinkAccumulator {
 public:
  LinkAccumulator(RunSummary& out, const std::vector<NodeRow>& nodes, const Labels& labels)
      : out_(out), nodes_(nodes), labels_(labels), links_of_(nodes.size()) {}

  // One row of kLinkRowsSql (any order).
  void add_row(const sql::Statement& s);
  // After the rows: every version a node or a connection row of the run names (the text of
  // an unknown label is "").
  std::vector<std::string> versions() const;
  // Connection rows of the run with a fault_id.
  std::uint64_t faulted() const { return faulted_; }
  // Protocol errors coded in the rows (schema 8), not in protocol_error_rows.
  std::uint64_t errors_in_rows() const { return errors_in_rows_; }
  // After the rows, with the profiles of versions(): fills out.links in link order (every
  // link finished) and out.pairs.
  void finish(const Profiles& profiles);

 private:
  // One connection of a link, for the dial order.
  struct Dial {
    SimTime t_dial;
    std::uint64_t conn_id;
    SimTime closed;  // the dialer's close, or the run's end
  };
  // A link's samples while its rows arrive: one small record per row's link.
  struct LinkSamples {
    std::uint32_t dialer = 0, listener = 0;
    std::int64_t dialer_version = 0, listener_version = 0;  // labels: the first dialled's
    std::uint64_t connections = 0, protocol_errors = 0;
    Duration up = 0;
    Duration ping_span = 0;  // lifetime of connections with periodic pings
    std::int64_t periodic_pings = 0;
    std::int64_t pongs = 0;
    Duration rtt_sum = 0;
    // (close_reason label, count): the first kInlineReasons inline, more in more_reasons.
    static constexpr std::size_t kInlineReasons = 3;
    std::array<std::pair<std::int64_t, std::uint64_t>, kInlineReasons> reasons{};
    std::size_t n_reasons = 0;
    std::vector<std::pair<std::int64_t, std::uint64_t>> more_reasons;
    std::vector<Dial> dials;  // in the rows' order until finish() sorts them
    std::vector<Duration> lifetimes;
    void count_reason(std::int64_t label);
  };

  // The samples of link d -> l (both < nodes_.size()), created on its first row.
  LinkSamples& link(std::uint32_t d, std::uint32_t l);
  void finish_link(LinkSummary& l, LinkSamples& s);
  void add_to_pair(const LinkSummary& l, std::vector<Duration>& lifetimes);

  RunSummary& out_;
  const std::vector<NodeRow>& nodes_;
  const Profiles* profiles_ = nullptr;  // finish()'s
  const Labels& labels_;
  std::vector<std::int64_t> version_labels_;  // every version label a row names
  std::uint64_t faulted_ = 0;
  std::uint64_t errors_in_rows_ = 0;
  std::vector<LinkSamples> samples_;  // in the order their first rows came
  // By dialer: (listener, index into samples_); a node dials a few peers.
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> links_of_;
  // Per version pair.
  std::map<std::pair<std::string, std::string>, PairSummary> pairs_;
  std::map<std::pair<std::string, std::string>, std::vector<Duration>> pair_lifetimes_;
};

// `+run_id` keeps SQLite from walking an index that starts with run_id and then fetching every
// row by rowid, a random read each: it scans the table in its own order. kLinkRowsByIdSql,
// for a run that holds a small part of the table, finds its rows through an index.
#define TS_LINK_ROWS_COLUMNS                                                                 \
  "SELECT dialer, listener, conn_id, t_connect_ns, t_closed_dialer_ns, close_reason_label, " \
  "protocol_errors, dialer_version_label, listener_version_label, pings_sent, "              \
  "pongs_matched, rtt_avg_ns, t_last_ping_ns, fault_id IS NOT NULL, error_by IS NOT NULL, "  \
  "t_dial_ns FROM connection_times WHERE "
constexpr const char* kLinkRowsSql = TS_LINK_ROWS_COLUMNS "+run_id=?1";
constexpr const char* kLinkRowsByIdSql = TS_LINK_ROWS_COLUMNS "run_id=?1";
#undef TS_LINK_ROWS_COLUMNS

// push_back, growing by a quarter instead of doubling: on the churn hour every link holds
// about 690 connections, and doubling left a third of their 1,024-slot vectors empty.
template <typename T>
void append(std::vector<T>& v, const T& x) {
  if (v.size() == v.capacity()) v.reserve(v.size() + v.size() / 4 + 4);
  v.push_back(x);
}

LinkAccumulator::LinkSamples& LinkAccumulator::link(std::uint32_t d, std::uint32_t l) {
  auto& mine = links_of_[d];
  for (const auto& [listener, i] : mine)
    if (listener == l) return samples_[i];
  mine.emplace_back(l, static_cast<std::uint32_t>(samples_.size()));
  LinkSamples& s = samples_.emplace_back();
  s.dialer = d;
  s.listener = l;
  return s;
}

void LinkAccumulator::add_row(const sql::Statement& s) {
  for (const int col : {7, 8}) {
    const std::int64_t label = s.int64(col);
    if (std::find(version_labels_.begin(), version_labels_.end(), label) == version_labels_.end())
      version_labels_.push_back(label);
  }
  faulted_ += s.int64(13) != 0;
  errors_in_rows_ += s.int64(14) != 0;
  const auto d = static_cast<std::uint32_t>(s.int64(0));
  const auto l = static_cast<std::uint32_t>(s.int64(1));
  if (d >= nodes_.size() || l >= nodes_.size()) return;
  ++out_.connections;
  LinkSamples& ls = link(d, l);
  const auto conn = static_cast<std::uint64_t>(s.int64(2));
  const SimTime t_dial = s.int64(15);
  const SimTime closed = s.is_null(4) ? out_.duration_ns : s.int64(4);
  // The first connection in dial order names the link (ties: the first row read).
  if (ls.dials.empty() ||
      std::pair{t_dial, conn} < std::pair{ls.dials.front().t_dial, ls.dials.front().conn_id}) {
    ls.dialer_version = s.int64(7);
    ls.listener_version = s.int64(8);
    append(ls.dials, Dial{t_dial, conn, closed});
    std::swap(ls.dials.front(), ls.dials.back());  // the front is the earliest so far
  } else {
    append(ls.dials, Dial{t_dial, conn, closed});
  }
  if (!s.is_null(3)) {
    ++ls.connections;
    const SimTime t_connect = s.int64(3);
    append(ls.lifetimes, closed - t_connect);
    ls.up += std::min(closed, out_.duration_ns) - t_connect;
    const std::int64_t pings = s.int64(9);
    if (pings > kConnectPings) {  // the later pings are the interval's ticks
      ls.ping_span += s.int64(12) - t_connect;
      ls.periodic_pings += pings - kConnectPings;
    }
    const std::int64_t pongs = s.int64(10);
    if (pongs > 0) {
      ls.pongs += pongs;
      ls.rtt_sum += s.int64(11) * pongs;
    }
  }
  ls.count_reason(s.int64(5));
  ls.protocol_errors += static_cast<std::uint64_t>(s.int64(6));
}

void LinkAccumulator::LinkSamples::count_reason(std::int64_t label) {
  for (std::size_t k = 0; k < n_reasons; ++k)
    if (reasons[k].first == label) {
      ++reasons[k].second;
      return;
    }
  if (n_reasons < kInlineReasons) {
    reasons[n_reasons++] = {label, 1};
    return;
  }
  for (auto& [l, n] : more_reasons)
    if (l == label) {
      ++n;
      return;
    }
  more_reasons.emplace_back(label, 1);
}

void LinkAccumulator::finish_link(LinkSummary& l, LinkSamples& s) {
  l.dialer_version = labels_.text(s.dialer_version);
  l.listener_version = labels_.text(s.listener_version);
  l.connections = s.connections;
  l.protocol_errors = s.protocol_errors;
  const SimTime from = std::max(nodes_[l.dialer].start, nodes_[l.listener].start);
  const Duration span = std::max<Duration>(out_.duration_ns - from, 1);
  l.up_fraction = static_cast<double>(s.up) / static_cast<double>(span);
  l.median_lifetime_ns = median(s.lifetimes);
  // Redial gaps in dial order: each connection's successor's dial - its close.
  std::sort(s.dials.begin(), s.dials.end(), [](const Dial& a, const Dial& b) {
    return std::pair{a.t_dial, a.conn_id} < std::pair{b.t_dial, b.conn_id};
  });
  std::vector<Duration> gaps;
  gaps.reserve(s.dials.size());
  for (std::size_t i = 0; i + 1 < s.dials.size(); ++i)
    gaps.push_back(s.dials[i + 1].t_dial - s.dials[i].closed);
  s.dials = {};
  l.median_redial_gap_ns = gaps.empty() ? -1 : median(std::move(gaps));
  l.connections_per_hour = static_cast<double>(l.connections) * kHour / static_cast<double>(span);
  if (s.periodic_pings > 0) l.ping_interval_ns = s.ping_span / s.periodic_pings;
  if (s.pongs > 0) l.rtt_avg_ns = s.rtt_sum / s.pongs;
  std::map<std::string_view, std::uint64_t> reasons;  // by text: ties go to the first name
  for (std::size_t k = 0; k < s.n_reasons; ++k)
    reasons[labels_.text(s.reasons[k].first)] += s.reasons[k].second;
  for (const auto& [label, n] : s.more_reasons)
    reasons[labels_.text(label)] += n;
  std::uint64_t best = 0;
  for (const auto& [reason, n] : reasons)
    if (n > best) best = n, l.main_close_reason = reason;
  l.link_class = classify(l.connections, l.up_fraction, l.median_lifetime_ns,
                          ping_interval_of(*profiles_, l.dialer_version));
  add_to_pair(l, s.lifetimes);
  out_.cycling += l.link_class == "cycling";
  out_.stable += l.link_class == "stable";
  out_.flapping += l.link_class == "flapping";
  out_.down += l.link_class == "down";
  s = LinkSamples{};
}

void LinkAccumulator::add_to_pair(const LinkSummary& l, std::vector<Duration>& lifetimes) {
  auto& p = pairs_[{l.dialer_version, l.listener_version}];
  p.dialer_version = l.dialer_version;
  p.listener_version = l.listener_version;
  ++p.links;
  p.cycling += l.link_class == "cycling";
  p.stable += l.link_class == "stable";
  p.flapping += l.link_class == "flapping";
  p.down += l.link_class == "down";
  p.connections += l.connections;
  p.connections_per_link_hour += l.connections_per_hour;
  p.up_fraction += l.up_fraction;
  p.protocol_errors += l.protocol_errors;
  auto& pl = pair_lifetimes_[{l.dialer_version, l.listener_version}];
  pl.insert(pl.end(), lifetimes.begin(), lifetimes.end());
}

std::vector<std::string> LinkAccumulator::versions() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_)
    out.push_back(n.version);
  for (const std::int64_t label : version_labels_)
    out.emplace_back(labels_.text(label));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void LinkAccumulator::finish(const Profiles& profiles) {
  profiles_ = &profiles;
  std::vector<std::uint32_t> order(samples_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
    return std::pair{samples_[a].dialer, samples_[a].listener} <
           std::pair{samples_[b].dialer, samples_[b].listener};
  });
  out_.links.reserve(order.size());
  for (const std::uint32_t i : order) {
    LinkSamples& s = samples_[i];
    LinkSummary& l = out_.links.emplace_back();
    l.dialer = s.dialer;
    l.listener = s.listener;
    l.dialer_name = nodes_[s.dialer].name;
    l.listener_name = nodes_[s.listener].name;
    l.attempts = s.dials.size();
    finish_link(l, s);
  }
  for (auto& [key, p] : pairs_) {
    p.connections_per_link_hour /= static_cast<double>(p.links);
    p.up_fraction /= static_cast<double>(p.links);
    p.median_lifetime_ns = median(pair_lifetimes_[key]);
    out_.pairs.push_back(p);
  }
}

// out.links, out.pairs, the link classes, out.connections and out.connections_ended_by_faults;
// returns the profiles of every version the nodes and rows name. The counts and the scan read one
// snapshot (a savepoint: a read transaction, also inside a caller's transaction).
Result<Profiles> summarize_links(sqlite3* db, std::int64_t run_id,
                                 const std::vector<NodeRow>& nodes, RunSummary& out) {
  auto labels = Labels::read(db, run_id);
  if (!labels) return labels.error();
  if (auto ok = sql::exec(db, "SAVEPOINT summary_links"); !ok) return ok.error();
  struct Release {
    sqlite3* db;
    ~Release() { (void)sql::exec(db, "RELEASE summary_links"); }
  } release{db};
  LinkAccumulator acc(out, nodes, *labels);
  // A scan reads every run's rows: worth it when this run's are a good part of them. (Row
  // counts: an index lookup each; the table's rows by its largest rowid.)
  std::uint64_t table_rows = 0, run_rows = 0;
  for (auto [sql, n] :
       {std::pair{"SELECT COALESCE(max(rowid), 0) FROM connection_rows WHERE ?1 NOT NULL",
                  &table_rows},
        std::pair{"SELECT count(*) FROM connection_rows WHERE run_id=?1", &run_rows}})
    if (auto r = count_into(db, sql, run_id, *n); !r) return r.error();
  auto q = prepare(db, run_rows * 4 >= table_rows ? kLinkRowsSql : kLinkRowsByIdSql, run_id);
  if (!q) return q.error();
  while (q->next())
    acc.add_row(*q);
  if (auto st = q->status(); !st) return st.error();
  auto profiles = run_profiles(db, run_id, acc.versions());
  if (!profiles) return profiles.error();
  acc.finish(*profiles);
  out.connections_ended_by_faults = acc.faulted();
  out.protocol_errors = acc.errors_in_rows();  // summarize() adds protocol_error_rows'
  return profiles;
}

// One (count) row of `sql` into `n`.
Result<bool> count_into(sqlite3* db, const char* sql, std::int64_t run_id, std::uint64_t& n) {
  auto q = prepare(db, sql, run_id);
  if (!q) return q.error();
  if (q->next()) n = static_cast<std::uint64_t>(q->int64(0));
  return true;
}

// The phases between upgrades (node_events of kind 'upgrade'); one "start" phase without.
Result<std::vector<PhaseSummary>> read_phases(sqlite3* db, std::int64_t run_id, SimTime end) {
  auto q = prepare(db,
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
  auto c =
      prepare(db,
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

Result<RunSummary> summarize(sqlite3* db, std::int64_t run_id) {
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
  auto profiles = summarize_links(db, run_id, *nodes, out);
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
