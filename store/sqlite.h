// sqlite: the one RAII layer over SQLite's C API that timesim uses. Db owns a connection,
// Statement a prepared statement (finalized on every path, errors included), Transaction an
// open transaction (rolled back unless committed).
//
// Why our own and not Debian's SQLiteCpp (libsqlitecpp-dev 3.2.1): it reports every error by
// throwing SQLite::Exception, while STYLE.md §6 keeps exceptions to cli/main.cc and returns
// Result<T> everywhere else; it binds text only from std::string or NUL-terminated char*, so
// the recorder's string_view fields would cost a std::string per bind on the hot path (or
// change their type to BLOB); and it prepares without SQLITE_PREPARE_PERSISTENT, which the
// recorder's statements (prepared once, reset per row for a whole run) ask for. Everything
// else it would give is the hundred lines below.
//
// Errors are Result<T> whose message is SQLite's own text (sqlite3_errmsg); callers add what
// and where. Every object belongs to one thread at a time. The raw handles (get()) stay
// available for the C API this layer does not wrap (sqlite3_backup, busy timeout, ...).
#pragma once

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace ts::sql {

// Runs the `;`-separated statements of `sql` (sqlite3_exec), ignoring any rows.
Result<bool> exec(sqlite3* db, const char* sql);

class Statement {
 public:
  Statement() = default;  // holds no statement

  // Compiles the first statement of `sql` on `db` (sqlite3_prepare_v3 with `flags`, e.g.
  // SQLITE_PREPARE_PERSISTENT for one kept for a whole run). `tail`, when given, is set to
  // what follows that statement in `sql`. SQL with no statement in it (spaces, comments)
  // gives an empty Statement: no columns, and step() fails.
  static Result<Statement> prepare(sqlite3* db, std::string_view sql, unsigned flags = 0,
                                   std::string_view* tail = nullptr);

  sqlite3_stmt* get() const { return stmt_.get(); }
  explicit operator bool() const { return stmt_ != nullptr; }

  // Binds parameter `i` (1-based). Text is copied. A failed bind (index out of range, no
  // memory) is kept, and the next step() returns it instead of running the statement.
  template <std::integral T>
  Statement& bind(int i, T v) {
    return check(sqlite3_bind_int64(get(), i, static_cast<sqlite3_int64>(v)));
  }
  Statement& bind(int i, double v) { return check(sqlite3_bind_double(get(), i, v)); }
  Statement& bind(int i, std::string_view v) {
    return check(
        sqlite3_bind_text(get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Statement& bind_null(int i) { return check(sqlite3_bind_null(get(), i)); }
  int parameter_count() const { return sqlite3_bind_parameter_count(get()); }

  // One step: true when a row is ready, false when the statement is done.
  Result<bool> step();
  // step() for a statement that returns no rows, then reset(): the way to run a statement
  // prepared once and bound anew for each row. Bindings are kept. Inline: the recorder's
  // hot path (one call per row written).
  Result<bool> run_and_reset() {
    if (bind_rc_ != SQLITE_OK) [[unlikely]]
      return failed_bind();
    const int rc = sqlite3_step(get());
    // No sqlite3_clear_bindings: callers bind every parameter for each row.
    sqlite3_reset(get());
    if (rc == SQLITE_DONE) [[likely]]
      return true;
    return failed_run(rc);
  }
  // Back to before the first step; bindings are kept.
  void reset() { sqlite3_reset(get()); }
  // Steps to the next row: true while there is one. An error ends the rows like SQLITE_DONE
  // does and is kept: status() returns it.
  bool next() {
    if (bind_rc_ != SQLITE_OK) [[unlikely]] {
      next_rc_ = std::exchange(bind_rc_, SQLITE_OK);
      return false;
    }
    const int rc = sqlite3_step(get());
    if (rc == SQLITE_ROW) [[likely]]
      return true;
    if (rc != SQLITE_DONE) next_rc_ = rc;
    return false;
  }
  // The error that ended next()'s rows, if any.
  Result<bool> status() const;

  // The current row (valid after step() returned true or next() returned true).
  int column_count() const { return sqlite3_column_count(get()); }
  const char* column_name(int i) const { return sqlite3_column_name(get(), i); }
  bool is_null(int i) const { return sqlite3_column_type(get(), i) == SQLITE_NULL; }
  std::int64_t int64(int i) const { return sqlite3_column_int64(get(), i); }
  double real(int i) const { return sqlite3_column_double(get(), i); }
  // Column `i` as text: "" for NULL.
  std::string text(int i) const {
    const char* t = c_text(i);
    return t ? std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(get(), i))) : "";
  }
  // Column `i` as text, nullptr for NULL; valid until the next step, reset or finalize.
  const char* c_text(int i) const {
    return reinterpret_cast<const char*>(sqlite3_column_text(get(), i));
  }
  // Only reads the DB (sqlite3_stmt_readonly).
  bool readonly() const { return sqlite3_stmt_readonly(get()) != 0; }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  Statement& check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) [[unlikely]]
      bind_rc_ = rc;
    return *this;
  }
  Error error(int rc) const;
  Result<bool> failed_bind();             // the kept bind error, now cleared
  Result<bool> failed_run(int rc) const;  // a statement run for its effect did not finish

  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  int bind_rc_ = SQLITE_OK;  // the first failed bind since the last step
  int next_rc_ = SQLITE_OK;  // the error that ended next()'s rows
};

// An owned connection, closed (sqlite3_close_v2) when destroyed.
// REQUIRES: every Statement prepared on it is destroyed first (asserted on destruction).
class Db {
 public:
  Db() = default;  // no connection
  // Opens `path` (":memory:" allowed) with sqlite3_open_v2 `flags`.
  static Result<Db> open(const std::string& path,
                         int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

  sqlite3* get() const { return db_.get(); }
  explicit operator bool() const { return db_ != nullptr; }

  Result<bool> exec(const char* sql) const { return sql::exec(get(), sql); }
  Result<Statement> prepare(std::string_view sql, unsigned flags = 0) const {
    return Statement::prepare(get(), sql, flags);
  }

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Close> db_;
};

// An open transaction on `db`: rolled back when destroyed before commit().
class Transaction {
 public:
  // Runs `begin_sql`: "BEGIN", "BEGIN IMMEDIATE", ...
  static Result<Transaction> begin(sqlite3* db, const char* begin_sql = "BEGIN");
  Transaction(Transaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // Commits; on an error the transaction is rolled back when this is destroyed.
  Result<bool> commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;  // open on this connection; nullptr once committed or moved
};

}  // namespace ts::sql
