// Recorder: writes a run into an SQLite results DB (schema in docs/schema.md).
//
// One connection; WAL; prepared INSERTs reused for every row, the most frequent stepped 16
// rows at a time (store/batched_insert.h); rows grouped into explicit transactions of
// kBatchRows or a batch more (commits cost far more than inserts). Rows are queued and a
// writer thread steps them, each statement's in order (store/row_queue.h), so the
// simulation loop and SQLite share the machine's cores; the DB holds the same rows either
// way. The simulator
// only writes; analysis reads the DB afterwards. Rows hold virtual time, never wall time,
// except the runs.wall_* columns (excluded from determinism checks).
//
// A DB may hold many runs: every row carries run_id (connection_core and connection_details
// rows in their conn_key, run_id << 32 | conn_id). Opening an existing DB appends a run.
// On open the file is classified first (store/results_db.h) and nothing is written to one
// that is not a timesim results DB (another application's SQLite file, a newer schema, a
// locked DB); a legacy timesim DB is migrated to the current schema.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "node_core/version_profile.h"
#include "store/batched_insert.h"
#include "store/conn_record.h"
#include "store/conn_row_digest.h"
#include "store/reorder_window.h"
#include "store/results_db.h"
#include "store/row_queue.h"
#include "store/sqlite.h"

namespace ts::sim {

struct RunInfo {
  std::string scenario_name;
  std::string scenario_path;
  std::uint64_t scenario_hash = 0;
  std::uint64_t seed = 0;
  Duration duration_ns = 0;
  std::string mode = "sim";  // "sim", "live" or "real" (import-capture)
  std::string args;          // command line, for the record
};

struct RunTotals {
  std::uint64_t events = 0;
  SimTime end_ns = 0;
  double wall_seconds = 0;        // informational only
  std::uint64_t fingerprint = 0;  // RunStats::fingerprint (stored as 16 hex digits)
};

// What a run records (`timesim run --record LEVEL`), cumulative:
//   connections: runs, nodes, connections, protocol_errors, node_events, faults, and the
//                consensus outcomes (blocks, proposals, transactions);
//   samples:     + the periodic per-node `samples` (the default);
//   messages:    + one `messages` row per message written (large: every ping and pong).
enum class RecordLevel : std::uint8_t { kConnections, kSamples, kMessages };
std::string_view record_level_name(RecordLevel l);
bool record_level_from_name(std::string_view name, RecordLevel& out);

// One `blocks` row: a block node `node` applied (consensus model).
struct BlockRow {
  std::uint32_t node = 0;
  std::uint64_t height = 0;
  std::uint64_t hash = 0;
  std::int64_t producer = -1;  // node index, -1 if the address is not a scenario node
  std::int64_t slot_unix_s = 0;
  std::string_view how;  // "consensus", "commit" or "sync"
  SimTime t_proposed_ns = kNever;
  SimTime t_finalized_ns = 0;
  std::uint32_t votes = 0;
  std::uint32_t active = 0;
  std::uint32_t transactions = 0;
};

class Recorder {
 public:
  static constexpr int kBatchRows = 4096;  // rows per transaction, at least (a batch ends it)
  // Rows handed to the writer thread at a time (store/row_queue.h).
  static constexpr std::size_t kQueueRows = 1024;
  // A run's protocol error texts get labels up to this many; later new ones are stored whole.
  static constexpr std::size_t kMaxTextLabels = 4096;
  // Connection rows held to be written in conn_id order (they come in close order): on the
  // 1,000-node churn hour, every row but the 4,003 of connections open for hours came within
  // 256 rows of its place.
  static constexpr std::size_t kHeldConnections = 1024;

  // Opens (creating if needed) the DB at `path` (":memory:" allowed). Every error names it.
  static Result<std::unique_ptr<Recorder>> open(const std::string& path);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Starts a run; returns its run_id. The run row says status 'running' until end_run; a
  // Recorder destroyed before end_run (an exception unwinding, e.g. std::bad_alloc) marks it
  // 'failed'. Only a killed process leaves it 'running'.
  Result<std::int64_t> begin_run(const RunInfo& info);
  Result<bool> add_node(std::uint32_t node, std::string_view name, std::string_view ip,
                        std::string_view version, std::string_view commit, SimTime start_ns,
                        std::string_view region);
  // The `profiles` rows of one version profile: its description and every field of
  // node_core/profile_fields.h. Once per profile the run uses (record_profiles()).
  Result<bool> add_profile(const node::VersionProfile& p);
  // Rows are held (kHeldConnections) and written in conn_id order; flush() and end_run write
  // every held row. conn_id must be below 2^32 (connection_core's key).
  Result<bool> add_connection(const ConnRecord& r);
  // A protocol error `node` logged about `peer`. When `conn` is given (the error's
  // connection, whose row add_connection has not written yet) and this is its first error
  // and the text gets a label, the error is coded into that row (schema 8); otherwise it is
  // a protocol_error_rows row. The protocol_errors view shows it the same either way. An
  // error still waiting for its row when the run ends becomes a protocol_error_rows row.
  Result<bool> add_protocol_error(SimTime t, std::uint32_t node, std::int64_t peer,
                                  std::uint64_t conn_id, std::string_view kind,
                                  std::string_view text, ConnRecord* conn = nullptr);
  // A scheduled or drawn fault (one row each, before the run starts). `spec` is the
  // fault as an exact `faults:` YAML entry (Fault::to_yaml), for replay.
  Result<bool> add_fault(std::uint32_t fault_id, std::string_view kind, std::string_view targets,
                         SimTime start_ns, SimTime end_ns, std::string_view params,
                         std::string_view source, std::string_view spec);
  // Node-level events: start, give-up on a peer, ... (`peer` -1 when none)
  Result<bool> add_node_event(SimTime t, std::uint32_t node, std::int64_t peer,
                              std::string_view kind, std::string_view detail);
  // A listener banned `banned_ip` (`peer` -1 when not a scenario node; `conn_id` 0 when
  // none; `duration_ns` kNever = permanent).
  Result<bool> add_ban(SimTime t, std::uint32_t node, std::int64_t peer, std::string_view banned_ip,
                       std::uint64_t conn_id, std::uint32_t violations, Duration duration_ns,
                       std::string_view reason);
  // Consensus model rows (docs/schema.md).
  Result<bool> add_block(const BlockRow& b);
  Result<bool> add_proposal(SimTime t, std::uint32_t node, std::uint64_t height, std::uint64_t hash,
                            std::uint32_t active);
  Result<bool> add_sample(SimTime t, std::uint32_t node, std::uint64_t height, std::uint32_t peers,
                          std::uint32_t active, std::uint32_t mempool);
  Result<bool> add_transaction(std::uint32_t node, std::uint64_t txid, SimTime t_submitted_ns,
                               SimTime t_final_ns, std::uint32_t votes, std::uint32_t committee);
  // One `messages` row (level messages only; a no-op below it).
  Result<bool> add_message(SimTime t, std::uint64_t conn_id, std::uint32_t node,
                           std::string_view kind, std::uint64_t bytes);

  // Every connection row of the current run queued from now on is also shown to `o`
  // (nullptr: to none), in queue order, as the writer takes it (a batched row may reach
  // SQLite a little later; a write error fails the run): on the writer thread, so `o` is the
  // writer's until end_run (or drain) returns, and must outlive the Recorder or end_run. end_run
  // and begin_run detach it.
  Result<bool> observe_connection_rows(ConnRowObserver* o) {
    if (auto ok = queue_->drain(); !ok) return ok;  // no batch is out while it changes
    row_observer_ = o;
    return true;
  }

  void set_level(RecordLevel l) { level_ = l; }
  bool records(RecordLevel l) const { return level_ >= l; }
  // Wall time spent inside SQLite calls (step, reset, exec), measured only after
  // set_timing(true). Informational (stderr); never part of the results.
  // SQLite runs on the recorder's writer thread while the simulation goes on (rows are
  // queued, store/row_queue.h); writer_wait_seconds() is what the caller spent waiting
  // for it. Read both after end_run.
  void set_timing(bool on) {
    timing_ = on;
    queue_->set_timing(on);
  }
  double sqlite_seconds() const { return sqlite_ns_ / 1e9; }
  double writer_wait_seconds() const { return queue_->wait_seconds(); }

  // Commits what is pending and marks the run `status` ('complete' or 'interrupted').
  Result<bool> end_run(std::string_view status, const RunTotals& totals);
  // Writes and commits the queued rows (the run stays 'running').
  Result<bool> flush();

  std::int64_t run_id() const { return run_id_; }
  // The DB for direct use: waits until every row added (held connections too) is written.
  // A write error is reported by flush() and end_run(), not here.
  sqlite3* db() {
    (void)write_held_connections();
    (void)queue_->drain();
    return db_.get();
  }

 private:
  Recorder() = default;
  Result<bool> exec(const char* sql);
  Result<sql::Statement> prepare(const char* sql);
  Result<bool> prepare_inserts();
  Result<bool> step_reset(sql::Statement& s);
  Result<bool> row_added();
  Result<bool> commit();  // the open transaction, if any (on whichever thread writes)
  Result<bool> write_rows(const RowQueue::Batch& batch);
  Result<bool> write_batch(const RowQueue::Batch& batch);
  Result<bool> write_row(const RowQueue::Batch& batch, const RowQueue::Row& row);
  Result<bool> insert_result(Result<bool> ok) const;  // adds what and where to an error
  Error db_error(std::string_view what) const;
  // The run's labels.label_id of `text`, its row written the first time.
  Result<std::int64_t> label(std::string_view text);
  Result<std::int64_t> close_reason_label(node::CloseReason r);
  Result<std::int64_t> side_label(Side s);

  // A protocol error coded for its connection's row (or, failing that, a side row).
  struct CodedError {
    std::uint64_t conn_id = 0;  // 0: a free slot of pending_errors_
    SimTime t = 0;
    std::uint32_t node = 0;
    std::int64_t peer = -1;
    std::int64_t kind = 0;      // label_id
    std::int64_t text_id = 0;   // label_id; 0: `text` is stored whole
    std::int64_t addr_at = -1;  // -1: none (NULL)
    std::int64_t port = 0;
  };
  Result<bool> add_error_row(const CodedError& e, std::string_view text);

  // A connection row waiting in held_connections_: its record, labels and first error.
  struct HeldConnection {
    ConnRecord rec;
    std::int64_t dialer_version = 0, listener_version = 0, close_reason = 0, closed_by = 0;
    bool with_error = false;
    CodedError error;
  };
  Result<bool> write_connection(const HeldConnection& h);
  Result<bool> write_held_connections();
  // The run's connection_shapes.shape_id of `h`'s labels and flags, its row queued the first
  // time.
  Result<std::int64_t> shape_of(const HeldConnection& h);
  // Queues `h`'s connection_details row when a value differs from its default (schema 9).
  Result<bool> write_details(const HeldConnection& h, std::int64_t key);

  // On the writer thread: what the digest of a connection_core row needs of the rows before it.
  struct WrittenShape {
    std::int64_t dialer_version = 0, listener_version = 0, close_reason = 0;
    bool error = false;
  };
  struct WrittenDetails {
    std::int64_t key = -1;  // conn_key of the row they belong to; -1: none pending
    bool no_last_ping = false;
    std::int64_t last_ping_after_connect = 0, pongs_matched = 0, protocol_errors = 0;
    std::int64_t rtt_avg = 0;
    bool faulted = false;
  };
  void note_written_row(const RowQueue::Batch& batch, const RowQueue::Row& row);
  ConnRowDigest connection_row_digest(const RowQueue::Batch& batch, const RowQueue::Row& row) const;
  // Writes the errors still waiting for a row as protocol_error_rows rows, in slot order.
  Result<bool> flush_pending_errors();

  std::string path_;  // for messages
  sql::Db db_;        // declared first: destroyed after its statements
  sql::Statement ins_profile_;
  sql::Statement ins_node_, ins_core_, ins_core_error_, ins_shape_, ins_details_, ins_error_,
      ins_event_, ins_fault_, ins_block_, ins_proposal_, ins_sample_, ins_tx_, ins_ban_;
  sql::Statement ins_msg_, ins_label_;
  // The most frequent inserts, stepped BatchedInsert::kRows rows at a time (writer thread).
  std::array<BatchedInsert, 5> batched_;
  std::map<std::string, std::int64_t, std::less<>> labels_;  // this run's, by text
  std::size_t text_labels_ = 0;                              // of labels_, error texts
  std::array<std::int64_t, static_cast<std::size_t>(node::CloseReason::kCount)> reason_labels_{};
  std::array<std::int64_t, 3> side_labels_{};  // by Side; 0: not labelled yet
  std::vector<std::string> node_ips_;          // by node index (add_node)
  // Errors waiting for their connection's row, at ConnRecord::first_error_slot - 1.
  std::vector<CodedError> pending_errors_;
  std::vector<std::uint32_t> free_error_slots_;
  ReorderWindow<HeldConnection> held_connections_{kHeldConnections};
  // This run's shapes by (dialer_version, listener_version, close_reason, closed_by,
  // open_at_end, error_by, error_kind, error_text, error_addr_at); kNullValue for NULL.
  static constexpr std::int64_t kNullValue = INT64_MIN;
  std::map<std::array<std::int64_t, 9>, std::int64_t> shapes_;
  std::vector<WrittenShape> written_shapes_;  // the writer thread's, by shape_id - 1
  WrittenDetails written_details_;            // the writer thread's
  ConnRowObserver* row_observer_ = nullptr;   // the writer thread's while a batch is out
  RecordLevel level_ = RecordLevel::kSamples;
  bool timing_ = false;
  std::int64_t sqlite_ns_ = 0;
  std::int64_t run_id_ = 0;
  bool run_open_ = false;  // begun and not ended: the destructor marks it 'failed'
  int rows_in_txn_ = 0;
  bool in_txn_ = false;
  // Last: joined before the statements and the DB it writes through are destroyed.
  std::unique_ptr<RowQueue> queue_;
};

}  // namespace ts::sim
