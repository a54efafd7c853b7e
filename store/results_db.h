// What a results DB is (docs/schema.md): its schema text, how timesim recognises one, and
// how older ones are brought up to date. Used by the writer (sim::Recorder::open) and by
// every reader (report, faults, metrics, merge), so all of them accept and refuse the same
// files with the same messages.
//
// A results DB is an SQLite file with `PRAGMA application_id` = kResultsDbApplicationId
// ('TSM1') and `PRAGMA user_version` = the schema version. Also accepted:
//   - a new DB: no tables, application_id 0, user_version 0 (initialised when written);
//   - a legacy timesim DB (schema 1..3, from before application_id was set): application_id
//     0, user_version 1..3 and a `runs` table with timesim's columns. It is migrated to the
//     current schema when written to, and migrated in an in-memory copy when only read.
// Anything else is refused, and nothing is written to it.
#pragma once

#include <string>
#include <string_view>

#include "common/file_marks.h"
#include "common/result.h"
#include "store/sqlite.h"

namespace ts::sim {

// 2: runs.fingerprint; 3: blocks, proposals, samples (then, without a bump, transactions,
// samples.mempool, blocks.transactions, messages); 4: application_id, every table in the
// current shape; 5: profiles and bans (additive: a v4 DB gains the tables, nothing else
// changes); 6: connections' (run_id, conn_id) key is a unique index built at the end of a
// run instead of the PRIMARY KEY maintained on every insert (a v5 DB keeps its key and
// gains the index; rows and columns are unchanged); 7: `connections` and `protocol_errors`
// are views, with the same columns and values, over coded tables (connection_rows,
// protocol_error_rows, labels); a legacy DB's rows move into the coded tables; 8: a
// connection's first protocol error may be coded in its connection_rows row (six columns,
// NULL in a v7 DB's rows), and the protocol_errors view reads both places; 9: a run's
// connections are connection_core rows keyed run_id << 32 | conn_id (no index), their
// labels and flags a per-run dictionary (connection_shapes) and their other values a row of
// connection_details only where one differs from its default; connection_rows keeps the rows
// of v7 and v8 runs where they are, and the connection_fields view shows both.
inline constexpr int kSchemaVersion = 9;

// The query for the number of connections of run ?1 without reading their rows: in
// connection_core, and in connection_rows when the DB has it (`legacy_rows`: migrated from
// schema 7 or 8).
inline const char* run_connection_count_sql(bool legacy_rows) {
  return legacy_rows ? "SELECT (SELECT count(*) FROM connection_rows WHERE run_id = ?1) + "
                       "(SELECT count(*) FROM connection_core WHERE conn_key BETWEEN ?1 << 32 "
                       "AND (?1 << 32) + 4294967295)"
                     : "SELECT count(*) FROM connection_core WHERE conn_key BETWEEN ?1 << 32 "
                       "AND (?1 << 32) + 4294967295";
}

// The current schema as `CREATE ... IF NOT EXISTS` statements, and its indexes (built at the
// end of a run: maintaining them row by row costs more than one bulk build).
const char* results_db_schema();
const char* results_db_indexes();

enum class DbState {
  kNew,      // no tables yet: initialise
  kCurrent,  // application_id set, this schema version
  kLegacy,   // an older timesim DB: migrate
};

// Classifies the open DB `db` (at `path`, for messages). Reads only. The errors name the
// file: not an SQLite file, another application's DB, a newer schema, locked by another
// process.
Result<DbState> inspect_results_db(sqlite3* db, const std::string& path);

// Opens `path` read-only, classifies it and closes it again (a missing file is an error).
// This and open_results_db_for_reading refuse a `path` that is not a regular file (a FIFO,
// a device, a directory) before SQLite opens it.
Result<DbState> inspect_results_db_file(const std::string& path);

// kNew: creates the schema; kLegacy: migrates every table to its current shape (columns
// older schemas lack get legacy_fill()); then sets application_id and user_version. One
// transaction: on an error nothing has changed.
Result<bool> prepare_results_db(sqlite3* db, const std::string& path, DbState state);

// For readers: `path` opened read-only and checked. A legacy DB is copied into a private
// temporary file and migrated there (the file is never changed; the copy goes when the Db
// closes, and memory stays SQLite's page cache), so readers only ever see the current schema.
// An empty (new) DB is refused: it holds no runs.
Result<sql::Db> open_results_db_for_reading(const std::string& path);

// An index an older schema built and the current one does not (connections_link): merge
// does not copy it from a legacy input.
bool is_retired_index(std::string_view name);

// The SQL value a column older schemas lack takes when their rows are copied into the
// current shape: "0" or "''" for the NOT NULL columns added after schema 1 without a bump
// (samples.mempool, blocks.transactions, faults.spec), "NULL" for any other column.
std::string_view legacy_fill(std::string_view table, std::string_view column);

}  // namespace ts::sim
