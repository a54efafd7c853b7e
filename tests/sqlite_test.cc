// store/sqlite.h: statements are finalized on every path, bind errors are not lost,
// transactions roll back unless committed.
#include <doctest/doctest.h>

#include <filesystem>

#include "analysis/summary.h"
#include "store/sqlite.h"
#include "tests/test_util.h"

namespace ts {
namespace {

// How many prepared statements `db` still holds.
int live_statements(sqlite3* db) {
  int n = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s; s = sqlite3_next_stmt(db, s))
    ++n;
  return n;
}

sql::Db memory_db() {
  auto db = sql::Db::open(":memory:");
  REQUIRE(db.ok());
  return std::move(*db);
}

}  // namespace

TEST_CASE("sqlite: a Statement is finalized when it goes, errors included") {
  auto db = memory_db();
  REQUIRE(db.exec("CREATE TABLE t(x INTEGER NOT NULL)").ok());
  {
    auto ins = db.prepare("INSERT INTO t VALUES (?1)");
    REQUIRE(ins.ok());
    CHECK(live_statements(db.get()) == 1);
    CHECK(ins->bind(1, 7).run_and_reset().ok());
    auto failed = ins->bind_null(1).run_and_reset();  // NOT NULL: the step fails
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().message.find("NOT NULL") != std::string::npos);
    CHECK(ins->bind(1, 8).run_and_reset().ok());  // reset after the error: usable again
  }
  CHECK(live_statements(db.get()) == 0);
  CHECK(test::scalar_text(db.get(), "SELECT group_concat(x) FROM t") == "7,8");
  auto bad = db.prepare("SELECT nope FROM t");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "no such column: nope");
  CHECK(live_statements(db.get()) == 0);
}

TEST_CASE("sqlite: a failed bind is returned by the next step, not run with a stale value") {
  auto db = memory_db();
  REQUIRE(db.exec("CREATE TABLE t(x)").ok());
  auto ins = db.prepare("INSERT INTO t VALUES (?1)");
  REQUIRE(ins.ok());
  CHECK(ins->bind(1, 1).run_and_reset().ok());
  auto r = ins->bind(2, 2).run_and_reset();  // no parameter 2
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "column index out of range");
  CHECK(test::scalar(db.get(), "SELECT count(*) FROM t") == 1);  // the row was not inserted
  CHECK(ins->bind(1, 3).run_and_reset().ok());                   // the error was cleared
  CHECK(test::scalar(db.get(), "SELECT count(*) FROM t") == 2);
}

TEST_CASE("sqlite: values round-trip by type; next() keeps the error that ended the rows") {
  auto db = memory_db();
  auto q = db.prepare("SELECT ?1, ?2, ?3, ?4, typeof(?3)");
  REQUIRE(q.ok());
  q->bind(1, std::int64_t{-5}).bind(2, 0.25).bind(3, std::string_view("a\0b", 3)).bind_null(4);
  REQUIRE(q->next());
  CHECK(q->int64(0) == -5);
  CHECK(q->real(1) == 0.25);
  CHECK(q->text(2) == std::string("a\0b", 3));
  CHECK(q->is_null(3));
  CHECK(q->c_text(3) == nullptr);
  CHECK(q->text(3).empty());
  CHECK(q->text(4) == "text");  // string_view binds TEXT, not BLOB
  CHECK_FALSE(q->next());
  CHECK(q->status().ok());

  auto boom = db.prepare("SELECT abs(-9223372036854775807 - 1)");  // integer overflow at step
  REQUIRE(boom.ok());
  CHECK_FALSE(boom->next());
  REQUIRE_FALSE(boom->status().ok());
  CHECK(boom->status().error().message == "integer overflow");
}

TEST_CASE("sqlite: a Transaction rolls back unless committed") {
  auto db = memory_db();
  REQUIRE(db.exec("CREATE TABLE t(x)").ok());
  {
    auto txn = sql::Transaction::begin(db.get());
    REQUIRE(txn.ok());
    REQUIRE(db.exec("INSERT INTO t VALUES (1)").ok());
  }
  CHECK(test::scalar(db.get(), "SELECT count(*) FROM t") == 0);
  {
    auto txn = sql::Transaction::begin(db.get(), "BEGIN IMMEDIATE");
    REQUIRE(txn.ok());
    REQUIRE(db.exec("INSERT INTO t VALUES (2)").ok());
    REQUIRE(txn->commit().ok());
  }
  CHECK(test::scalar(db.get(), "SELECT count(*) FROM t") == 1);
  CHECK(sqlite3_get_autocommit(db.get()) != 0);  // nothing left open
  {
    auto txn = sql::Transaction::begin(db.get());
    REQUIRE(txn.ok());
    REQUIRE(txn->commit().ok());
    REQUIRE(db.exec("BEGIN").ok());  // later work on the connection, not txn's
    REQUIRE(db.exec("INSERT INTO t VALUES (3)").ok());
  }  // a committed Transaction leaves it alone when it goes
  REQUIRE(db.exec("COMMIT").ok());
  CHECK(test::scalar(db.get(), "SELECT count(*) FROM t") == 2);
  auto nested = sql::Transaction::begin(db.get());
  REQUIRE(nested.ok());
  auto inner = sql::Transaction::begin(db.get());  // SQLite has no nested BEGIN
  REQUIRE_FALSE(inner.ok());
  CHECK(inner.error().message.find("within a transaction") != std::string::npos);
}

TEST_CASE("sqlite: a reader that fails half-way leaves no statement behind") {
  // The summary's queries run one after another; drop a table a later one reads and the
  // summary fails, with every statement it had prepared finalized.
  auto r = test::run(test::load("topologies/six_nodes.yaml"), 1, 2 * kMinute);
  const int recorder_inserts = live_statements(r.db());  // prepared once for the whole run
  CHECK(recorder_inserts == 16 + 5);  // the one-row inserts and the 5 BatchedInserts
  REQUIRE(sim::summarize(r.db(), 0).ok());
  CHECK(live_statements(r.db()) == recorder_inserts);
  REQUIRE(sql::exec(r.db(), "DROP TABLE faults").ok());
  auto s = sim::summarize(r.db(), 0);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("no such table: faults") != std::string::npos);
  CHECK(live_statements(r.db()) == recorder_inserts);
}

TEST_CASE("sqlite: Db::open names SQLite's reason") {
  const auto dir = std::filesystem::temp_directory_path() / "timesim_sqlite_test_missing";
  std::filesystem::remove_all(dir);
  auto db = sql::Db::open((dir / "x.db").string(), SQLITE_OPEN_READONLY);
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message == "unable to open database file");
}

}  // namespace ts
