#include "store/recorder.h"

#include "common/assert.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iterator>
#include <system_error>
#include <tuple>
#include <utility>

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

template <typename Row>
void bind_time(Row& s, int i, SimTime t) {
  if (t == kNever)
    s.bind_null(i);
  else
    s.bind(i, t);
}

// Binds `t` as ns after `base`, or NULL when it did not happen.
template <typename Row>
void bind_after(Row& s, int i, SimTime t, SimTime base) {
  if (t == kNever)
    s.bind_null(i);
  else
    s.bind(i, t - base);
}

// Binds `v` to parameter `i`, or NULL when `null`.
template <typename Row>
void bind_int64_or_null(Row& s, int i, std::int64_t v, bool null) {
  if (null)
    s.bind_null(i);
  else
    s.bind(i, v);
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
  if (auto ok = db_.exec(sql); !ok)
    return Error{"results DB '" + path_ + "': " + ok.error().message};
  return true;
}

Result<sql::Statement> Recorder::prepare(const char* sql) {
  auto s = db_.prepare(sql, SQLITE_PREPARE_PERSISTENT);
  if (!s) return db_error("prepare");
  return s;
}

Result<bool> Recorder::step_reset(sql::Statement& s) {
  SqliteTimer timer(timing_, sqlite_ns_);
  return insert_result(s.run_and_reset());
}

// The INSERTs kept for the whole run, and the batched companions of the most frequent.
Result<bool> Recorder::prepare_inserts() {
  const std::pair<sql::Statement Recorder::*, const char*> kInserts[] = {
      {&Recorder::ins_profile_, "INSERT INTO profiles VALUES (?,?,?,?,?,?,?)"},
      {&Recorder::ins_node_, "INSERT INTO nodes VALUES (?,?,?,?,?,?,?,?)"},
      // Schema 9: a connection is a connection_core row, a connection_shapes row the first
      // time its labels and flags occur in the run, and a connection_details row when one of
      // its other values differs from its default. A row without a first error leaves
      // error_port to its default, NULL.
      {&Recorder::ins_core_,
       "INSERT INTO connection_core (conn_key, shape, dialer, listener, t_dial_ns, "
       "connect_after_dial_ns, accept_after_connect_ns, close_after_accept_ns, "
       "closed_dialer_after_close_ns, msgs_d2l, bytes_d2l, pings_sent) VALUES "
       "(?,?,?,?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_core_error_,
       "INSERT INTO connection_core VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_shape_, "INSERT INTO connection_shapes VALUES (?,?,?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_details_,
       "INSERT INTO connection_details VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_error_, "INSERT INTO protocol_error_rows VALUES (?,?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_label_, "INSERT INTO labels VALUES (?,?,?)"},
      {&Recorder::ins_event_, "INSERT INTO node_events VALUES (?,?,?,?,?,?)"},
      {&Recorder::ins_ban_, "INSERT INTO bans VALUES (?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_fault_, "INSERT INTO faults VALUES (?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_block_, "INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"},
      {&Recorder::ins_proposal_, "INSERT INTO proposals VALUES (?,?,?,?,?,?)"},
      {&Recorder::ins_sample_, "INSERT INTO samples VALUES (?,?,?,?,?,?,?)"},
      {&Recorder::ins_msg_, "INSERT INTO messages VALUES (?,?,?,?,?,?)"},
      {&Recorder::ins_tx_, "INSERT INTO transactions VALUES (?,?,?,?,?,?,?)"},
  };
  for (const auto& [member, sql] : kInserts) {
    auto s = prepare(sql);
    if (!s) return s.error();
    this->*member = std::move(*s);
  }
  const sql::Statement Recorder::*kBatched[] = {&Recorder::ins_core_, &Recorder::ins_core_error_,
                                                &Recorder::ins_details_, &Recorder::ins_event_,
                                                &Recorder::ins_error_};
  static_assert(std::size(kBatched) == std::tuple_size_v<decltype(batched_)>);
  for (std::size_t i = 0; i < std::size(kBatched); ++i) {
    const auto* entry = std::find_if(std::begin(kInserts), std::end(kInserts),
                                     [&](const auto& e) { return e.first == kBatched[i]; });
    TS_ASSERT(entry != std::end(kInserts));
    auto b = BatchedInsert::make(this->*(entry->first), entry->second,
                                 [this](const std::string& sql) { return prepare(sql.c_str()); });
    if (!b) return b.error();
    batched_[i] = std::move(*b);
  }
  return true;
}

Result<std::unique_ptr<Recorder>> Recorder::open(const std::string& path) {
  std::unique_ptr<Recorder> r(new Recorder());
  r->path_ = path;
  // NOMUTEX: one thread uses the connection, so SQLite's per-call mutexes are pure cost.
  auto db = sql::Db::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  if (!db) return Error{"cannot open results DB '" + path + "': " + db.error().message};
  r->db_ = std::move(*db);
  sqlite3* raw = r->db_.get();
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

  if (auto ok = r->prepare_inserts(); !ok) return ok.error();
  try {
    r->queue_ = std::make_unique<RowQueue>(
        [rec = r.get()](const RowQueue::Batch& b) { return rec->write_rows(b); }, kQueueRows);
  } catch (const std::system_error& e) {
    return Error{"results DB '" + path + "': cannot start the writer thread: " + e.what()};
  }
  return r;
}

Recorder::~Recorder() {
  if (run_open_ && queue_) {  // an abandoned run keeps the rows it was given
    try {
      (void)write_held_connections();
    } catch (const std::exception&) {  // memory may be short here: they are lost, not the DB
    }
  }
  queue_.reset();  // writes what is queued: from here on this thread alone uses the DB
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
  // A run that never ended: its held rows are written under its run_id; its pending errors
  // are dropped (as before).
  if (auto ok = write_held_connections(); !ok) return ok.error();
  pending_errors_.clear();
  free_error_slots_.clear();
  shapes_.clear();
  if (auto ok = queue_->drain(); !ok) return ok.error();
  row_observer_ = nullptr;  // no batch is out: the writer thread reads these only in one
  written_shapes_.clear();
  written_details_ = {};
  auto s = db_.prepare(
      "INSERT INTO runs (scenario, scenario_path, scenario_hash, seed, "
      "duration_ns, mode, status, args, timesim_version) "
      "VALUES (?,?,?,?,?,?,'running',?,?)");
  if (!s) return db_error("begin run");
  s->bind(1, info.scenario_name)
      .bind(2, info.scenario_path)
      .bind(3, hex64(info.scenario_hash))
      .bind(4, static_cast<std::int64_t>(info.seed))
      .bind(5, info.duration_ns)
      .bind(6, info.mode)
      .bind(7, info.args)
      .bind(8, TIMESIM_VERSION);
  if (auto ok = s->step(); !ok || *ok) return db_error("begin run");
  run_id_ = sqlite3_last_insert_rowid(db_.get());
  run_open_ = true;
  labels_.clear();
  text_labels_ = 0;
  reason_labels_.fill(0);
  side_labels_.fill(0);
  node_ips_.clear();
  return run_id_;
}

Result<std::int64_t> Recorder::label(std::string_view text) {
  if (auto it = labels_.find(text); it != labels_.end()) return it->second;
  const auto id = static_cast<std::int64_t>(labels_.size()) + 1;
  queue_->row(ins_label_).bind(1, run_id_).bind(2, id).bind(3, text);
  if (auto ok = queue_->submit(); !ok) return ok.error();
  labels_.emplace(std::string(text), id);
  return id;
}

Result<std::int64_t> Recorder::close_reason_label(node::CloseReason r) {
  auto& id = reason_labels_.at(static_cast<std::size_t>(r));
  if (id == 0) {
    auto l = label(node::close_reason_name(r));
    if (!l) return l;
    id = *l;
  }
  return id;
}

Result<std::int64_t> Recorder::side_label(Side s) {
  auto& id = side_labels_.at(static_cast<std::size_t>(s));
  if (id == 0) {
    auto l = label(side_name(s));
    if (!l) return l;
    id = *l;
  }
  return id;
}

// Opens the transaction a row goes into; write_rows commits it after a batch once it holds
// kBatchRows rows (not within a batch: its batched rows are stepped by then).
Result<bool> Recorder::row_added() {
  if (!in_txn_) {
    if (auto ok = exec("BEGIN"); !ok) return ok;
    in_txn_ = true;
  }
  ++rows_in_txn_;
  return true;
}

Result<bool> Recorder::commit() {
  if (!in_txn_) return true;
  in_txn_ = false;
  rows_in_txn_ = 0;
  return exec("COMMIT");
}

// On the queue's writer thread: each row as it would have been stepped when queued.
// A statement's rows go in in queue order; the batched statements' rows are stepped in
// groups, so rows of different statements interleave otherwise than they were queued.
// After an error nothing stays held: the queue writes no later batch.
Result<bool> Recorder::write_rows(const RowQueue::Batch& batch) {
  auto ok = write_batch(batch);
  if (!ok)
    for (auto& b : batched_)
      b.discard();
  return ok;
}

Result<bool> Recorder::write_batch(const RowQueue::Batch& batch) {
  for (const auto& row : batch.rows) {
    if (auto ok = row_added(); !ok) return ok;
    if (auto ok = write_row(batch, row); !ok) return ok;
    note_written_row(batch, row);
  }
  for (auto& b : batched_) {  // the batch's memory is reused after this returns
    SqliteTimer timer(timing_, sqlite_ns_);
    if (auto ok = insert_result(b.flush(batch)); !ok) return ok;
  }
  if (rows_in_txn_ >= kBatchRows) return commit();
  return true;
}

Result<bool> Recorder::write_row(const RowQueue::Batch& batch, const RowQueue::Row& row) {
  for (auto& b : batched_) {
    if (!b.serves(row)) continue;
    // Every row the Recorder queues binds each of its statement's parameters.
    TS_ASSERT(b.takes(batch, row));
    SqliteTimer timer(timing_, sqlite_ns_);
    return insert_result(b.add(batch, row));
  }
  RowQueue::bind(batch, row);
  return step_reset(*row.statement);
}

Result<bool> Recorder::insert_result(Result<bool> ok) const {
  if (!ok) return Error{"results DB '" + path_ + "': insert: " + ok.error().message};
  return true;
}

// On the writer thread: keeps what a connection_core row's digest needs of the shape and
// details rows queued before it, and shows each connection_core row to the observer.
void Recorder::note_written_row(const RowQueue::Batch& batch, const RowQueue::Row& row) {
  const RowQueue::Value* v = batch.values.data() + row.first_value;
  auto is_null = [v](int p) { return v[p - 1].type == RowQueue::ValueType::kNull; };
  auto num = [v](int p) { return v[p - 1].number; };  // 0 for NULL
  if (row.statement == &ins_shape_) {
    TS_ASSERT(row.value_count == 11 && v[10].parameter == 11);
    const auto id = static_cast<std::size_t>(num(2));
    if (written_shapes_.size() < id) written_shapes_.resize(id);
    written_shapes_[id - 1] = {num(3), num(4), num(5), !is_null(8)};
  } else if (row.statement == &ins_details_) {
    TS_ASSERT(row.value_count == 17 && v[16].parameter == 17);
    // 6 last_ping_after_connect, 7 pongs_matched, 12 protocol_errors, 14 rtt_avg, 16 fault_id
    written_details_ = {num(1), is_null(6), num(6), num(7), num(12), num(14), !is_null(16)};
  } else if (row.statement == &ins_core_ || row.statement == &ins_core_error_) {
    if (row_observer_) row_observer_->on_connection_row(connection_row_digest(batch, row));
    written_details_.key = -1;
  }
}

// The values connection_times shows for a connection_core row, from the values
// write_connection bound (parameter i is value i - 1 of the row) and the shape and details
// rows before it, by the views' arithmetic: each time is an offset from an earlier one, a
// value without a details row its default (store/results_db.cc).
ConnRowDigest Recorder::connection_row_digest(const RowQueue::Batch& batch,
                                              const RowQueue::Row& row) const {
  const RowQueue::Value* v = batch.values.data() + row.first_value;
  auto is_null = [v](int p) { return v[p - 1].type == RowQueue::ValueType::kNull; };
  auto num = [v](int p) { return v[p - 1].number; };  // 0 for NULL
  TS_ASSERT(row.value_count >= 12 && v[11].parameter == 12);
  const auto shape_id = static_cast<std::size_t>(num(2));
  TS_ASSERT(shape_id >= 1 && shape_id <= written_shapes_.size());
  const WrittenShape& shape = written_shapes_[shape_id - 1];
  const bool has_details = written_details_.key == num(1);
  ConnRowDigest d;
  d.conn_id = static_cast<std::uint64_t>(num(1)) & 0xffffffffu;
  d.dialer = static_cast<std::uint32_t>(num(3));
  d.listener = static_cast<std::uint32_t>(num(4));
  d.dialer_version = shape.dialer_version;
  d.listener_version = shape.listener_version;
  d.close_reason = shape.close_reason;
  d.t_dial = num(5);
  // 6 connect_after_dial, 7 accept_after_connect, 8 close_after_accept,
  // 9 closed_dialer_after_close
  if (!is_null(6)) d.t_connect = d.t_dial + num(6);
  const std::int64_t accept_at = num(6) + num(7);  // COALESCE(connect, 0) + accept, or connect
  const std::int64_t close_at = is_null(8) ? 0 : accept_at + num(8);
  if (!is_null(9)) d.t_closed_dialer = d.t_dial + close_at + num(9);
  if (!has_details)
    d.t_last_ping = d.t_dial + num(6);  // last_ping_after_connect 0
  else if (!written_details_.no_last_ping)
    d.t_last_ping = d.t_dial + num(6) + written_details_.last_ping_after_connect;
  d.pings_sent = num(12);
  d.pongs_matched = has_details ? written_details_.pongs_matched : 0;
  d.protocol_errors = has_details ? written_details_.protocol_errors : shape.error ? 1 : 0;
  d.rtt_avg = has_details ? written_details_.rtt_avg : 0;
  d.faulted = has_details && written_details_.faulted;
  d.error_in_row = shape.error;
  return d;
}

Result<bool> Recorder::flush() {
  if (auto ok = write_held_connections(); !ok) return ok;
  if (auto ok = queue_->drain(); !ok) return ok;
  return commit();
}

Result<bool> Recorder::add_profile(const node::VersionProfile& p) {
  auto row = [&](std::string_view key, const std::string& value, const std::int64_t* number) {
    auto s = queue_->row(ins_profile_);
    s.bind(1, run_id_);
    s.bind(2, p.name);
    s.bind(3, p.base.empty() ? std::string_view("") : p.base);  // '', not NULL
    s.bind(4, p.commit);
    s.bind(5, key);
    s.bind(6, value);
    if (number)
      s.bind(7, *number);
    else
      s.bind_null(7);
    return queue_->submit();
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
  if (node_ips_.size() <= node) node_ips_.resize(node + 1);
  node_ips_[node] = ip;
  auto s = queue_->row(ins_node_);
  s.bind(1, run_id_);
  s.bind(2, node);
  s.bind(3, name);
  s.bind(4, ip);
  s.bind(5, version);
  s.bind(6, commit);
  s.bind(7, start_ns);
  if (region.empty())
    s.bind_null(8);
  else
    s.bind(8, region);
  return queue_->submit();
}

Result<bool> Recorder::add_connection(const ConnRecord& r) {
  if (r.conn_id > 0xffffffffu)
    return Error{"results DB '" + path_ + "': connection " + std::to_string(r.conn_id) +
                 " of run " + std::to_string(run_id_) +
                 ": a run records at most 4294967295 connections"};
  HeldConnection h;
  h.rec = r;
  auto dialer_version = label(r.dialer_version);
  if (!dialer_version) return dialer_version.error();
  h.dialer_version = *dialer_version;
  auto listener_version = label(r.listener_version);
  if (!listener_version) return listener_version.error();
  h.listener_version = *listener_version;
  auto reason = close_reason_label(r.close_reason);
  if (!reason) return reason.error();
  h.close_reason = *reason;
  auto closed_by = side_label(r.closed_by);
  if (!closed_by) return closed_by.error();
  h.closed_by = *closed_by;
  const std::uint32_t slot = r.first_error_slot;
  h.with_error =
      slot != 0 && slot <= pending_errors_.size() && pending_errors_[slot - 1].conn_id == r.conn_id;
  if (h.with_error) {  // the slot is free again once its values are held
    h.error = pending_errors_[slot - 1];
    pending_errors_[slot - 1].conn_id = 0;
    free_error_slots_.push_back(slot - 1);
  }
  held_connections_.push(r.conn_id, std::move(h));
  if (!held_connections_.over_capacity()) return true;
  return write_connection(held_connections_.take_smallest());
}

Result<bool> Recorder::write_held_connections() {
  while (!held_connections_.empty())
    if (auto ok = write_connection(held_connections_.take_smallest()); !ok) return ok;
  return true;
}

Result<std::int64_t> Recorder::shape_of(const HeldConnection& h) {
  const auto& e = h.error;
  const std::array<std::int64_t, 9> key{
      h.dialer_version,
      h.listener_version,
      h.close_reason,
      h.closed_by,
      h.rec.open_at_end ? 1 : 0,
      h.with_error ? (e.node == h.rec.dialer ? 0 : 1) : kNullValue,
      h.with_error ? e.kind : kNullValue,
      h.with_error ? e.text_id : kNullValue,
      h.with_error && e.addr_at >= 0 ? e.addr_at : kNullValue};
  if (auto it = shapes_.find(key); it != shapes_.end()) return it->second;
  const auto id = static_cast<std::int64_t>(shapes_.size()) + 1;
  auto s = queue_->row(ins_shape_);
  s.bind(1, run_id_);
  s.bind(2, id);
  for (int i = 0; i < 9; ++i)
    bind_int64_or_null(s, 3 + i, key[i], key[i] == kNullValue);
  if (auto ok = queue_->submit(); !ok) return ok.error();
  shapes_.emplace(key, id);
  return id;
}

Result<bool> Recorder::write_details(const HeldConnection& h, std::int64_t key) {
  const ConnRecord& r = h.rec;
  auto first_of = [](SimTime a, SimTime b) { return a != kNever ? a : b; };
  const SimTime error_after_close =
      h.with_error ? h.error.t - first_of(r.t_close, r.t_dial) : kNever;
  const bool defaults =
      r.t_handshake == kNever && r.t_closed_listener == first_of(r.t_close, r.t_dial) &&
      r.msgs_l2d == 0 && r.bytes_l2d == 0 && r.t_last_ping == first_of(r.t_connect, r.t_dial) &&
      r.pongs_matched == 0 && r.pongs_unmatched == 0 && r.pings_missed == 0 &&
      r.pings_answered == 0 && r.msgs_dropped == 0 && r.protocol_errors == (h.with_error ? 1 : 0) &&
      r.fault_id == 0 && error_after_close == (h.with_error ? 0 : kNever);
  if (defaults) return true;
  auto s = queue_->row(ins_details_);
  int i = 1;
  s.bind(i++, key);
  bind_after(s, i++, r.t_handshake, first_of(r.t_accept, r.t_dial));
  bind_after(s, i++, r.t_closed_listener, first_of(r.t_close, r.t_dial));
  s.bind(i++, static_cast<std::int64_t>(r.msgs_l2d));
  s.bind(i++, static_cast<std::int64_t>(r.bytes_l2d));
  bind_after(s, i++, r.t_last_ping, first_of(r.t_connect, r.t_dial));
  s.bind(i++, r.pongs_matched);
  s.bind(i++, r.pongs_unmatched);
  s.bind(i++, r.pings_missed);
  s.bind(i++, r.pings_answered);
  s.bind(i++, r.msgs_dropped);
  s.bind(i++, r.protocol_errors);
  if (r.pongs_matched > 0) {
    s.bind(i++, r.rtt_min);
    s.bind(i++, r.rtt_sum / r.pongs_matched);
    s.bind(i++, r.rtt_max);
  } else {
    s.bind_null(i++);
    s.bind_null(i++);
    s.bind_null(i++);
  }
  bind_int64_or_null(s, i++, r.fault_id, r.fault_id == 0);
  bind_int64_or_null(s, i++, error_after_close, !h.with_error);
  return queue_->submit();
}

// The connection's rows: its shape's (the first time), its details (if any), its core row.
Result<bool> Recorder::write_connection(const HeldConnection& h) {
  const ConnRecord& r = h.rec;
  auto shape = shape_of(h);
  if (!shape) return shape.error();
  const std::int64_t key = (run_id_ << 32) | static_cast<std::int64_t>(r.conn_id);
  if (auto ok = write_details(h, key); !ok) return ok;
  auto s = queue_->row(h.with_error ? ins_core_error_ : ins_core_);
  int i = 1;
  s.bind(i++, key);
  s.bind(i++, *shape);
  s.bind(i++, r.dialer);
  s.bind(i++, r.listener);
  s.bind(i++, r.t_dial);
  // Each time after an earlier one, as the schema says (store/results_db.cc).
  auto first_of = [](SimTime a, SimTime b) { return a != kNever ? a : b; };
  bind_after(s, i++, r.t_connect, r.t_dial);
  bind_after(s, i++, r.t_accept, first_of(r.t_connect, r.t_dial));
  bind_after(s, i++, r.t_close, first_of(r.t_accept, first_of(r.t_connect, r.t_dial)));
  bind_after(s, i++, r.t_closed_dialer, first_of(r.t_close, r.t_dial));
  s.bind(i++, static_cast<std::int64_t>(r.msgs_d2l));
  s.bind(i++, static_cast<std::int64_t>(r.bytes_d2l));
  s.bind(i++, r.pings_sent);
  if (h.with_error) bind_int64_or_null(s, i++, h.error.port, h.error.addr_at < 0);
  return queue_->submit();
}

namespace {
// Where `text` holds the address `ip`:`port`, taken out so that the rest is a template the
// protocol_errors view puts it back into (at a byte offset). Only where that is exact: the
// port is written as SQLite writes an integer (no sign, no leading zero, at most 9 digits).
struct AddressCut {
  std::size_t at = std::string_view::npos;  // npos: none
  std::size_t length = 0;
  std::int64_t port = 0;
};

AddressCut find_address(std::string_view text, std::string_view ip) {
  AddressCut cut;
  if (ip.empty()) return cut;
  for (std::size_t at = text.find(ip); at != std::string_view::npos; at = text.find(ip, at + 1)) {
    std::size_t p = at + ip.size();
    if (p >= text.size() || text[p] != ':') continue;
    std::size_t digits = 0;
    std::int64_t port = 0;
    while (p + 1 + digits < text.size() && digits < 9 && text[p + 1 + digits] >= '0' &&
           text[p + 1 + digits] <= '9')
      port = port * 10 + (text[p + 1 + digits++] - '0');
    if (digits == 0 || (digits > 1 && text[p + 1] == '0')) continue;
    if (p + 1 + digits < text.size() && text[p + 1 + digits] >= '0' && text[p + 1 + digits] <= '9')
      continue;  // more than 9 digits
    cut.at = at;
    cut.length = ip.size() + 1 + digits;
    cut.port = port;
    return cut;
  }
  return cut;
}
}  // namespace

Result<bool> Recorder::add_protocol_error(SimTime t, std::uint32_t node, std::int64_t peer,
                                          std::uint64_t conn_id, std::string_view kind,
                                          std::string_view text, ConnRecord* conn) {
  auto kind_id = label(kind);
  if (!kind_id) return kind_id.error();
  std::string_view ip;  // "" when not a scenario node: nothing is cut
  if (peer >= 0 && static_cast<std::size_t>(peer) < node_ips_.size()) ip = node_ips_[peer];
  const AddressCut cut = find_address(text, ip);
  std::string tmpl;
  if (cut.at != std::string_view::npos) {
    tmpl.reserve(text.size() - cut.length);
    tmpl.append(text.substr(0, cut.at)).append(text.substr(cut.at + cut.length));
  }
  const std::string_view labelled = cut.at != std::string_view::npos ? tmpl : text;
  CodedError e{conn_id, t, node, peer, *kind_id};
  if (labels_.count(labelled) != 0 || text_labels_ < kMaxTextLabels) {
    const std::size_t before = labels_.size();
    auto l = label(labelled);
    if (!l) return l.error();
    text_labels_ += labels_.size() - before;
    e.text_id = *l;
  }
  if (e.text_id != 0 && cut.at != std::string_view::npos) {
    e.addr_at = static_cast<std::int64_t>(cut.at);
    e.port = cut.port;
  }
  // Into the connection's row: its first error, labelled, logged by one end about the other.
  const bool other_end = conn && conn->dialer != conn->listener &&
                         ((node == conn->dialer && peer == conn->listener) ||
                          (node == conn->listener && peer == conn->dialer));
  if (other_end && conn->first_error_slot == 0 && conn->conn_id == conn_id && conn_id != 0 &&
      e.text_id != 0) {
    std::uint32_t slot;
    if (!free_error_slots_.empty()) {
      slot = free_error_slots_.back();
      free_error_slots_.pop_back();
      pending_errors_[slot] = e;
    } else {
      slot = static_cast<std::uint32_t>(pending_errors_.size());
      pending_errors_.push_back(e);
    }
    conn->first_error_slot = slot + 1;
    return true;
  }
  return add_error_row(e, text);
}

Result<bool> Recorder::add_error_row(const CodedError& e, std::string_view text) {
  auto s = queue_->row(ins_error_);
  s.bind(1, run_id_);
  s.bind(2, e.t);
  s.bind(3, e.node);
  bind_int64_or_null(s, 4, e.peer, e.peer < 0);
  bind_int64_or_null(s, 5, static_cast<std::int64_t>(e.conn_id), e.conn_id == 0);
  s.bind(6, e.kind);
  bind_int64_or_null(s, 7, e.text_id, e.text_id == 0);
  bind_int64_or_null(s, 8, e.addr_at, e.addr_at < 0);
  bind_int64_or_null(s, 9, e.port, e.addr_at < 0);
  if (e.text_id == 0)
    s.bind(10, text);
  else
    s.bind_null(10);
  return queue_->submit();
}

Result<bool> Recorder::flush_pending_errors() {
  for (std::uint32_t slot = 0; slot < pending_errors_.size(); ++slot) {
    if (pending_errors_[slot].conn_id == 0) continue;
    // A pending error always has a label: its text is that label with the address put back.
    if (auto ok = add_error_row(pending_errors_[slot], {}); !ok) return ok;
  }
  pending_errors_.clear();
  free_error_slots_.clear();
  return true;
}

Result<bool> Recorder::add_node_event(SimTime t, std::uint32_t node, std::int64_t peer,
                                      std::string_view kind, std::string_view detail) {
  auto s = queue_->row(ins_event_);
  s.bind(1, run_id_);
  s.bind(2, t);
  s.bind(3, node);
  bind_int64_or_null(s, 4, peer, peer < 0);
  s.bind(5, kind);
  s.bind(6, detail);
  return queue_->submit();
}

Result<bool> Recorder::add_ban(SimTime t, std::uint32_t node, std::int64_t peer,
                               std::string_view banned_ip, std::uint64_t conn_id,
                               std::uint32_t violations, Duration duration_ns,
                               std::string_view reason) {
  auto s = queue_->row(ins_ban_);
  s.bind(1, run_id_);
  s.bind(2, t);
  s.bind(3, node);
  bind_int64_or_null(s, 4, peer, peer < 0);
  s.bind(5, banned_ip);
  bind_int64_or_null(s, 6, static_cast<std::int64_t>(conn_id), conn_id == 0);
  s.bind(7, violations);
  bind_int64_or_null(s, 8, duration_ns, duration_ns == kNever);
  s.bind(9, reason);
  return queue_->submit();
}

Result<bool> Recorder::add_block(const BlockRow& b) {
  auto s = queue_->row(ins_block_);
  s.bind(1, run_id_);
  s.bind(2, b.node);
  s.bind(3, static_cast<std::int64_t>(b.height));
  s.bind(4, hex64(b.hash));
  bind_int64_or_null(s, 5, b.producer, b.producer < 0);
  s.bind(6, b.slot_unix_s);
  s.bind(7, b.how);
  bind_time(s, 8, b.t_proposed_ns);
  s.bind(9, b.t_finalized_ns);
  s.bind(10, b.votes);
  s.bind(11, b.active);
  s.bind(12, b.transactions);
  return queue_->submit();
}

Result<bool> Recorder::add_transaction(std::uint32_t node, std::uint64_t txid,
                                       SimTime t_submitted_ns, SimTime t_final_ns,
                                       std::uint32_t votes, std::uint32_t committee) {
  auto s = queue_->row(ins_tx_);
  s.bind(1, run_id_);
  s.bind(2, node);
  s.bind(3, hex64(txid));
  bind_time(s, 4, t_submitted_ns);
  s.bind(5, t_final_ns);
  s.bind(6, votes);
  s.bind(7, committee);
  return queue_->submit();
}

Result<bool> Recorder::add_proposal(SimTime t, std::uint32_t node, std::uint64_t height,
                                    std::uint64_t hash, std::uint32_t active) {
  auto s = queue_->row(ins_proposal_);
  s.bind(1, run_id_);
  s.bind(2, t);
  s.bind(3, node);
  s.bind(4, static_cast<std::int64_t>(height));
  s.bind(5, hex64(hash));
  s.bind(6, active);
  return queue_->submit();
}

Result<bool> Recorder::add_message(SimTime t, std::uint64_t conn_id, std::uint32_t node,
                                   std::string_view kind, std::uint64_t bytes) {
  if (!records(RecordLevel::kMessages)) return true;
  auto s = queue_->row(ins_msg_);
  s.bind(1, run_id_);
  s.bind(2, t);
  s.bind(3, static_cast<std::int64_t>(conn_id));
  s.bind(4, node);
  s.bind(5, kind);
  s.bind(6, static_cast<std::int64_t>(bytes));
  return queue_->submit();
}

Result<bool> Recorder::add_sample(SimTime t, std::uint32_t node, std::uint64_t height,
                                  std::uint32_t peers, std::uint32_t active,
                                  std::uint32_t mempool) {
  if (!records(RecordLevel::kSamples)) return true;
  auto s = queue_->row(ins_sample_);
  s.bind(1, run_id_);
  s.bind(2, t);
  s.bind(3, node);
  s.bind(4, static_cast<std::int64_t>(height));
  s.bind(5, peers);
  s.bind(6, active);
  s.bind(7, mempool);
  return queue_->submit();
}

Result<bool> Recorder::add_fault(std::uint32_t fault_id, std::string_view kind,
                                 std::string_view targets, SimTime start_ns, SimTime end_ns,
                                 std::string_view params, std::string_view source,
                                 std::string_view spec) {
  auto s = queue_->row(ins_fault_);
  s.bind(1, run_id_);
  s.bind(2, fault_id);
  s.bind(3, kind);
  s.bind(4, targets);
  s.bind(5, start_ns);
  bind_time(s, 6, end_ns);
  s.bind(7, params);
  s.bind(8, source);
  s.bind(9, spec);
  return queue_->submit();
}

Result<bool> Recorder::end_run(std::string_view status, const RunTotals& totals) {
  if (auto ok = write_held_connections(); !ok) return ok;  // they may hold coded errors
  if (auto ok = flush_pending_errors(); !ok) return ok;
  if (auto ok = flush(); !ok) return ok;
  row_observer_ = nullptr;  // every row of the run is written: no batch is out
  // The index build sorts every row: in memory that sort held ~170 MB and ran slower than
  // SQLite's external merge through temporary files (measured on the churn network).
  // (An in-memory DB keeps its sort in memory too.)
  const bool on_file = path_ != ":memory:";
  if (on_file) {
    if (auto ok = exec("PRAGMA temp_store=FILE"); !ok) return ok;
  }
  auto indexed = exec(results_db_indexes());
  if (on_file) {
    if (auto ok = exec("PRAGMA temp_store=MEMORY"); !ok && indexed) return ok;
  }
  if (!indexed) return indexed;
  auto s = db_.prepare(
      "UPDATE runs SET status=?, events=?, end_ns=?, wall_seconds=?, "
      "fingerprint=? WHERE run_id=?");
  if (!s) return db_error("end run");
  s->bind(1, status)
      .bind(2, static_cast<std::int64_t>(totals.events))
      .bind(3, totals.end_ns)
      .bind(4, totals.wall_seconds)
      .bind(5, hex64(totals.fingerprint))
      .bind(6, run_id_);
  if (auto ok = s->step(); !ok || *ok) return db_error("end run");
  run_open_ = false;
  return true;
}

}  // namespace ts::sim
