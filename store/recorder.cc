#include "store/recorder.h"

#include <chrono>
#include <cstdio>

#include "node_core/profile_fields.h"

namespace ts::sim {

std::string_view side_name(Side s) {
  switch (s) {
    case Side::kDialer:
      return "dialer";
    case Side::kListener:
      return "listener";
    case Side::kNone:
      return "none";
  }
  return "?";
}

namespace {

void bind_time(sqlite3_stmt* s, int i, SimTime t) {
  if (t == kNever)
    sqlite3_bind_null(s, i);
  else
    sqlite3_bind_int64(s, i, t);
}
void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Binds `v` to parameter `i`, or NULL when `null`.
void bind_int64_or_null(sqlite3_stmt* s, int i, std::int64_t v, bool null) {
  if (null)
    sqlite3_bind_null(s, i);
  else
    sqlite3_bind_int64(s, i, v);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Error Recorder::db_error(std::string_view what) const {
  return Error{"results DB '" + path_ + "': " + std::string(what) + ": " +
               (db_ ? sqlite3_errmsg(db_.get()) : "no database")};
}

namespace {
// Adds the wall time of its scope to `total_ns` when `on`.
class SqliteTimer {
 public:
  SqliteTimer(bool on, std::int64_t& total_ns) : on_(on), total_(total_ns) {
    if (on_) t0_ = std::chrono::steady_clock::now();
  }
  ~SqliteTimer() {
    if (on_)
      total_ += std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - t0_)
                    .count();
  }

 private:
  bool on_;
  std::int64_t& total_;
  std::chrono::steady_clock::time_point t0_;
};
}  // namespace

std::string_view record_level_name(RecordLevel l) {
  switch (l) {
    case RecordLevel::kConnections:
      return "connections";
    case RecordLevel::kSamples:
      return "samples";
    case RecordLevel::kMessages:
      return "messages";
  }
  return "?";
}

bool record_level_from_name(std::string_view name, RecordLevel& out) {
  for (auto l : {RecordLevel::kConnections, RecordLevel::kSamples, RecordLevel::kMessages})
    if (record_level_name(l) == name) {
      out = l;
      return true;
    }
  return false;
}

Result<bool> Recorder::exec(const char* sql) {
  SqliteTimer timer(timing_, sqlite_ns_);
  char* err = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Error{"results DB '" + path_ + "': " + msg};
  }
  return true;
}

Result<Recorder::Stmt> Recorder::prepare(const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    return db_error("prepare");
  return Stmt(s);
}

Result<bool> Recorder::step_reset(sqlite3_stmt* s) {
  SqliteTimer timer(timing_, sqlite_ns_);
  const int rc = sqlite3_step(s);
  // No sqlite3_clear_bindings: every add_* binds every parameter of its statement.
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return db_error("insert");
  return true;
}

Result<std::unique_ptr<Recorder>> Recorder::open(const std::string& path) {
  std::unique_ptr<Recorder> r(new Recorder());
  r->path_ = path;
  sqlite3* raw = nullptr;
  // NOMUTEX: one thread uses the connection, so SQLite's per-call mutexes are pure cost.
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  r->db_.reset(raw);
  if (rc != SQLITE_OK)
    return Error{"cannot open results DB '" + path +
                 "': " + (raw ? sqlite3_errmsg(raw) : "out of memory")};
  sqlite3_busy_timeout(raw, 5000);
  // Classify the file before touching anything: never adopt another application's DB.
  auto state = inspect_results_db(raw, path);
  if (!state) return state.error();
  if (path != ":memory:") {
    if (auto ok = r->exec("PRAGMA journal_mode=WAL"); !ok) return ok.error();
  }
  if (auto ok = r->exec("PRAGMA synchronous=NORMAL"); !ok) return ok.error();
  // Rows are appended in rowid order and the indexes are built once at the end, so a small
  // page cache costs no speed: 2 MiB, SQLite's default. (Measured on the 1,000-node churn
  // network: 256 MiB and 8 MiB ran no faster, and a big cache grows with the DB until it
  // dominates the peak RSS of large runs.)
  if (auto ok = r->exec("PRAGMA cache_size=-2048; PRAGMA temp_store=MEMORY"); !ok)
    return ok.error();
  if (auto ok = prepare_results_db(raw, path, *state); !ok) return ok.error();

  auto pr = r->prepare("INSERT INTO profiles VALUES (?,?,?,?,?,?,?)");
  if (!pr) return pr.error();
  r->ins_profile_ = std::move(*pr);
  auto n = r->prepare("INSERT INTO nodes VALUES (?,?,?,?,?,?,?,?)");
  if (!n) return n.error();
  r->ins_node_ = std::move(*n);
  auto c = r->prepare(
      "INSERT INTO connections VALUES "
      "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!c) return c.error();
  r->ins_conn_ = std::move(*c);
  auto e = r->prepare("INSERT INTO protocol_errors VALUES (?,?,?,?,?,?,?)");
  if (!e) return e.error();
  r->ins_error_ = std::move(*e);
  auto v = r->prepare("INSERT INTO node_events VALUES (?,?,?,?,?,?)");
  if (!v) return v.error();
  r->ins_event_ = std::move(*v);
  auto bn = r->prepare("INSERT INTO bans VALUES (?,?,?,?,?,?,?,?,?)");
  if (!bn) return bn.error();
  r->ins_ban_ = std::move(*bn);
  auto f = r->prepare("INSERT INTO faults VALUES (?,?,?,?,?,?,?,?,?)");
  if (!f) return f.error();
  r->ins_fault_ = std::move(*f);
  auto b = r->prepare("INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!b) return b.error();
  r->ins_block_ = std::move(*b);
  auto p = r->prepare("INSERT INTO proposals VALUES (?,?,?,?,?,?)");
  if (!p) return p.error();
  r->ins_proposal_ = std::move(*p);
  auto sm = r->prepare("INSERT INTO samples VALUES (?,?,?,?,?,?,?)");
  if (!sm) return sm.error();
  r->ins_sample_ = std::move(*sm);
  auto msg = r->prepare("INSERT INTO messages VALUES (?,?,?,?,?,?)");
  if (!msg) return msg.error();
  r->ins_msg_ = std::move(*msg);
  auto tx = r->prepare("INSERT INTO transactions VALUES (?,?,?,?,?,?,?)");
  if (!tx) return tx.error();
  r->ins_tx_ = std::move(*tx);
  return r;
}

Recorder::~Recorder() {
  if (!db_) return;
  if (in_txn_) sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr);
  if (run_open_) {  // abandoned: an exception (std::bad_alloc, say) unwound past the run
    char sql[96];   // no allocation: memory may be short here
    std::snprintf(sql, sizeof sql, "UPDATE runs SET status='failed' WHERE run_id=%lld",
                  static_cast<long long>(run_id_));
    sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  }
  // WAL while writing; a finished DB is one self-contained file again, so read-only readers
  // (sqlite3 CLI, scripts/charts.py) never need -wal/-shm files beside it.
  sqlite3_exec(db_.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
}

Result<std::int64_t> Recorder::begin_run(const RunInfo& info) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "INSERT INTO runs (scenario, scenario_path, scenario_hash, seed, "
                         "duration_ns, mode, status, args, timesim_version) "
                         "VALUES (?,?,?,?,?,?,'running',?,?)",
                         -1, &raw, nullptr) != SQLITE_OK)
    return db_error("begin run");
  Stmt s(raw);
  bind_text(raw, 1, info.scenario_name);
  bind_text(raw, 2, info.scenario_path);
  bind_text(raw, 3, hex64(info.scenario_hash));
  sqlite3_bind_int64(raw, 4, static_cast<std::int64_t>(info.seed));
  sqlite3_bind_int64(raw, 5, info.duration_ns);
  bind_text(raw, 6, info.mode);
  bind_text(raw, 7, info.args);
  bind_text(raw, 8, TIMESIM_VERSION);
  if (sqlite3_step(raw) != SQLITE_DONE) return db_error("begin run");
  run_id_ = sqlite3_last_insert_rowid(db_.get());
  run_open_ = true;
  return run_id_;
}

Result<bool> Recorder::row_added() {
  if (!in_txn_) {
    if (auto ok = exec("BEGIN"); !ok) return ok;
    in_txn_ = true;
  }
  if (++rows_in_txn_ >= kBatchRows) return flush();
  return true;
}

Result<bool> Recorder::flush() {
  if (!in_txn_) return true;
  in_txn_ = false;
  rows_in_txn_ = 0;
  return exec("COMMIT");
}

Result<bool> Recorder::add_profile(const node::VersionProfile& p) {
  auto row = [&](std::string_view key, const std::string& value, const std::int64_t* number) {
    if (auto ok = row_added(); !ok) return ok;
    auto* s = ins_profile_.get();
    sqlite3_bind_int64(s, 1, run_id_);
    bind_text(s, 2, p.name);
    bind_text(s, 3, p.base.empty() ? std::string_view("") : p.base);  // '', not NULL
    bind_text(s, 4, p.commit);
    bind_text(s, 5, key);
    bind_text(s, 6, value);
    if (number)
      sqlite3_bind_int64(s, 7, *number);
    else
      sqlite3_bind_null(s, 7);
    return step_reset(s);
  };
  if (auto ok = row("description", std::string(p.description), nullptr); !ok) return ok;
  for (const auto& f : node::profile_fields()) {
    const auto v = f.get(p);
    std::int64_t n = 0;
    const bool numeric = node::field_number(v, n);
    if (auto ok = row(f.key, node::format_field_value(f.type, v), numeric ? &n : nullptr); !ok)
      return ok;
  }
  return true;
}

Result<bool> Recorder::add_node(std::uint32_t node, std::string_view name, std::string_view ip,
                                std::string_view version, std::string_view commit, SimTime start_ns,
                                std::string_view region) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_node_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, node);
  bind_text(s, 3, name);
  bind_text(s, 4, ip);
  bind_text(s, 5, version);
  bind_text(s, 6, commit);
  sqlite3_bind_int64(s, 7, start_ns);
  if (region.empty())
    sqlite3_bind_null(s, 8);
  else
    bind_text(s, 8, region);
  return step_reset(s);
}

Result<bool> Recorder::add_connection(const ConnRecord& r) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_conn_.get();
  int i = 1;
  sqlite3_bind_int64(s, i++, run_id_);
  sqlite3_bind_int64(s, i++, static_cast<std::int64_t>(r.conn_id));
  sqlite3_bind_int64(s, i++, r.dialer);
  sqlite3_bind_int64(s, i++, r.listener);
  bind_text(s, i++, r.dialer_version);
  bind_text(s, i++, r.listener_version);
  sqlite3_bind_int64(s, i++, r.t_dial);
  bind_time(s, i++, r.t_connect);
  bind_time(s, i++, r.t_accept);
  bind_time(s, i++, r.t_handshake);
  bind_time(s, i++, r.t_close);
  bind_time(s, i++, r.t_closed_dialer);
  bind_time(s, i++, r.t_closed_listener);
  bind_text(s, i++, node::close_reason_name(r.close_reason));
  bind_text(s, i++, side_name(r.closed_by));
  sqlite3_bind_int(s, i++, r.open_at_end ? 1 : 0);
  sqlite3_bind_int64(s, i++, static_cast<std::int64_t>(r.msgs_d2l));
  sqlite3_bind_int64(s, i++, static_cast<std::int64_t>(r.bytes_d2l));
  sqlite3_bind_int64(s, i++, static_cast<std::int64_t>(r.msgs_l2d));
  sqlite3_bind_int64(s, i++, static_cast<std::int64_t>(r.bytes_l2d));
  sqlite3_bind_int64(s, i++, r.pings_sent);
  bind_time(s, i++, r.t_last_ping);
  sqlite3_bind_int64(s, i++, r.pongs_matched);
  sqlite3_bind_int64(s, i++, r.pongs_unmatched);
  sqlite3_bind_int64(s, i++, r.pings_missed);
  sqlite3_bind_int64(s, i++, r.pings_answered);
  sqlite3_bind_int64(s, i++, r.msgs_dropped);
  sqlite3_bind_int64(s, i++, r.protocol_errors);
  if (r.pongs_matched > 0) {
    sqlite3_bind_int64(s, i++, r.rtt_min);
    sqlite3_bind_int64(s, i++, r.rtt_sum / r.pongs_matched);
    sqlite3_bind_int64(s, i++, r.rtt_max);
  } else {
    sqlite3_bind_null(s, i++);
    sqlite3_bind_null(s, i++);
    sqlite3_bind_null(s, i++);
  }
  if (r.fault_id == 0)
    sqlite3_bind_null(s, i++);
  else
    sqlite3_bind_int64(s, i++, r.fault_id);
  return step_reset(s);
}

Result<bool> Recorder::add_protocol_error(SimTime t, std::uint32_t node, std::int64_t peer,
                                          std::uint64_t conn_id, std::string_view kind,
                                          std::string_view text) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_error_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, t);
  sqlite3_bind_int64(s, 3, node);
  bind_int64_or_null(s, 4, peer, peer < 0);
  bind_int64_or_null(s, 5, static_cast<std::int64_t>(conn_id), conn_id == 0);
  bind_text(s, 6, kind);
  bind_text(s, 7, text);
  return step_reset(s);
}

Result<bool> Recorder::add_node_event(SimTime t, std::uint32_t node, std::int64_t peer,
                                      std::string_view kind, std::string_view detail) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_event_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, t);
  sqlite3_bind_int64(s, 3, node);
  bind_int64_or_null(s, 4, peer, peer < 0);
  bind_text(s, 5, kind);
  bind_text(s, 6, detail);
  return step_reset(s);
}

Result<bool> Recorder::add_ban(SimTime t, std::uint32_t node, std::int64_t peer,
                               std::string_view banned_ip, std::uint64_t conn_id,
                               std::uint32_t violations, Duration duration_ns,
                               std::string_view reason) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_ban_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, t);
  sqlite3_bind_int64(s, 3, node);
  bind_int64_or_null(s, 4, peer, peer < 0);
  bind_text(s, 5, banned_ip);
  bind_int64_or_null(s, 6, static_cast<std::int64_t>(conn_id), conn_id == 0);
  sqlite3_bind_int64(s, 7, violations);
  bind_int64_or_null(s, 8, duration_ns, duration_ns == kNever);
  bind_text(s, 9, reason);
  return step_reset(s);
}

Result<bool> Recorder::add_block(const BlockRow& b) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_block_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, b.node);
  sqlite3_bind_int64(s, 3, static_cast<std::int64_t>(b.height));
  bind_text(s, 4, hex64(b.hash));
  bind_int64_or_null(s, 5, b.producer, b.producer < 0);
  sqlite3_bind_int64(s, 6, b.slot_unix_s);
  bind_text(s, 7, b.how);
  bind_time(s, 8, b.t_proposed_ns);
  sqlite3_bind_int64(s, 9, b.t_finalized_ns);
  sqlite3_bind_int64(s, 10, b.votes);
  sqlite3_bind_int64(s, 11, b.active);
  sqlite3_bind_int64(s, 12, b.transactions);
  return step_reset(s);
}

Result<bool> Recorder::add_transaction(std::uint32_t node, std::uint64_t txid,
                                       SimTime t_submitted_ns, SimTime t_final_ns,
                                       std::uint32_t votes, std::uint32_t committee) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_tx_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, node);
  bind_text(s, 3, hex64(txid));
  bind_time(s, 4, t_submitted_ns);
  sqlite3_bind_int64(s, 5, t_final_ns);
  sqlite3_bind_int64(s, 6, votes);
  sqlite3_bind_int64(s, 7, committee);
  return step_reset(s);
}

Result<bool> Recorder::add_proposal(SimTime t, std::uint32_t node, std::uint64_t height,
                                    std::uint64_t hash, std::uint32_t active) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_proposal_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, t);
  sqlite3_bind_int64(s, 3, node);
  sqlite3_bind_int64(s, 4, static_cast<std::int64_t>(height));
  bind_text(s, 5, hex64(hash));
  sqlite3_bind_int64(s, 6, active);
  return step_reset(s);
}

Result<bool> Recorder::add_message(SimTime t, std::uint64_t conn_id, std::uint32_t node,
                                   std::string_view kind, std::uint64_t bytes) {
  if (!records(RecordLevel::kMessages)) return true;
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_msg_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, t);
  sqlite3_bind_int64(s, 3, static_cast<std::int64_t>(conn_id));
  sqlite3_bind_int64(s, 4, node);
  bind_text(s, 5, kind);
  sqlite3_bind_int64(s, 6, static_cast<std::int64_t>(bytes));
  return step_reset(s);
}

Result<bool> Recorder::add_sample(SimTime t, std::uint32_t node, std::uint64_t height,
                                  std::uint32_t peers, std::uint32_t active,
                                  std::uint32_t mempool) {
  if (!records(RecordLevel::kSamples)) return true;
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_sample_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, t);
  sqlite3_bind_int64(s, 3, node);
  sqlite3_bind_int64(s, 4, static_cast<std::int64_t>(height));
  sqlite3_bind_int64(s, 5, peers);
  sqlite3_bind_int64(s, 6, active);
  sqlite3_bind_int64(s, 7, mempool);
  return step_reset(s);
}

Result<bool> Recorder::add_fault(std::uint32_t fault_id, std::string_view kind,
                                 std::string_view targets, SimTime start_ns, SimTime end_ns,
                                 std::string_view params, std::string_view source,
                                 std::string_view spec) {
  if (auto ok = row_added(); !ok) return ok;
  auto* s = ins_fault_.get();
  sqlite3_bind_int64(s, 1, run_id_);
  sqlite3_bind_int64(s, 2, fault_id);
  bind_text(s, 3, kind);
  bind_text(s, 4, targets);
  sqlite3_bind_int64(s, 5, start_ns);
  bind_time(s, 6, end_ns);
  bind_text(s, 7, params);
  bind_text(s, 8, source);
  bind_text(s, 9, spec);
  return step_reset(s);
}

Result<bool> Recorder::end_run(std::string_view status, const RunTotals& totals) {
  if (auto ok = flush(); !ok) return ok;
  if (auto ok = exec(results_db_indexes()); !ok) return ok;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "UPDATE runs SET status=?, events=?, end_ns=?, wall_seconds=?, "
                         "fingerprint=? WHERE run_id=?",
                         -1, &raw, nullptr) != SQLITE_OK)
    return db_error("end run");
  Stmt s(raw);
  bind_text(raw, 1, status);
  sqlite3_bind_int64(raw, 2, static_cast<std::int64_t>(totals.events));
  sqlite3_bind_int64(raw, 3, totals.end_ns);
  sqlite3_bind_double(raw, 4, totals.wall_seconds);
  bind_text(raw, 5, hex64(totals.fingerprint));
  sqlite3_bind_int64(raw, 6, run_id_);
  if (sqlite3_step(raw) != SQLITE_DONE) return db_error("end run");
  run_open_ = false;
  return true;
}

}  // namespace ts::sim
