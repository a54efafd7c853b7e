#include "store/sqlite.h"

#include "common/assert.h"

namespace ts::sql {

Result<bool> exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Error{std::move(msg)};
  }
  return true;
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql, unsigned flags,
                                     std::string_view* tail) {
  sqlite3_stmt* raw = nullptr;
  const char* rest = nullptr;
  Statement s;
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &raw, &rest);
  s.stmt_.reset(raw);
  if (rc != SQLITE_OK) return Error{sqlite3_errmsg(db)};
  if (tail) *tail = sql.substr(static_cast<std::size_t>(rest - sql.data()));
  return s;
}

Error Statement::error(int rc) const {
  sqlite3* db = sqlite3_db_handle(get());  // nullptr for an empty statement
  return Error{db && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc)};
}

Result<bool> Statement::failed_bind() {
  return Error{sqlite3_errstr(std::exchange(bind_rc_, SQLITE_OK))};
}

Result<bool> Statement::failed_run(int rc) const {
  if (rc == SQLITE_ROW) return Error{"a statement run for its effect returned a row"};
  return error(rc);  // reset() keeps the step's error message
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) [[unlikely]]
    return failed_bind();
  const int rc = sqlite3_step(get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error(rc);
}

Result<bool> Statement::status() const {
  if (next_rc_ == SQLITE_OK) return true;
  return error(next_rc_);
}

void Db::Close::operator()(sqlite3* db) const {
  // A statement still alive here would be a leak sqlite3_close_v2 hides (it closes late).
  TS_ASSERT(sqlite3_next_stmt(db, nullptr) == nullptr);
  sqlite3_close_v2(db);
}

Result<Db> Db::open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db;
  db.db_.reset(raw);
  if (rc != SQLITE_OK) return Error{raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)};
  return db;
}

Result<Transaction> Transaction::begin(sqlite3* db, const char* begin_sql) {
  if (auto ok = exec(db, begin_sql); !ok) return ok.error();
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<bool> Transaction::commit() {
  if (auto ok = exec(db_, "COMMIT"); !ok) return ok;
  db_ = nullptr;
  return true;
}

}  // namespace ts::sql
