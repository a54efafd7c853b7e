// RowQueue: rows reach SQLite on the writer thread, in the order they were queued, with the
// values they had when they were bound; a writer error stops the queue and is reported.
#include "store/row_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>

#include "test_util.h"

namespace ts {
namespace {

struct Table {
  sql::Db db;
  sql::Statement insert;
  Table() {
    auto d = sql::Db::open(":memory:");
    REQUIRE(d);
    db = std::move(*d);
    REQUIRE(db.exec("CREATE TABLE t (n INTEGER, s TEXT, x)"));
    auto s = db.prepare("INSERT INTO t VALUES (?,?,?)");
    REQUIRE(s);
    insert = std::move(*s);
  }
};

TEST_CASE("row queue: rows are written on the writer thread in queue order, text copied") {
  Table t;
  std::atomic<int> batches{0};
  std::atomic<bool> on_caller_thread{false};
  const auto caller = std::this_thread::get_id();
  sim::RowQueue q(
      [&](const sim::RowQueue::Batch& b) -> Result<bool> {
        if (std::this_thread::get_id() == caller) on_caller_thread = true;
        ++batches;
        for (const auto& row : b.rows) {
          sim::RowQueue::bind(b, row);
          if (auto ok = row.statement->run_and_reset(); !ok) return ok;
        }
        return true;
      },
      3);
  std::string text;
  for (int i = 0; i < 10; ++i) {
    text = "row " + std::to_string(i);
    auto r = q.row(t.insert).bind(1, i).bind(2, text);
    if (i % 2 == 0)
      r.bind_null(3);
    else
      r.bind(3, -i);
    text.assign("overwritten after the bind");
    REQUIRE(q.submit());
    if (i == 1) {
      // Two rows wait for a batch of three: nothing is out, so the DB may be read here.
      CHECK(batches == 0);
      CHECK(test::scalar(t.db.get(), "SELECT count(*) FROM t") == 0);
    }
  }
  REQUIRE(q.drain());
  CHECK(batches == 4);  // 3 + 3 + 3 + the last row, written by drain()
  CHECK_FALSE(on_caller_thread.load());
  const auto rows =
      test::rows(t.db.get(), "SELECT n, s, coalesce(x, 'null') FROM t ORDER BY rowid");
  REQUIRE(rows.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(rows[i][0] == std::to_string(i));
    CHECK(rows[i][1] == "row " + std::to_string(i));
    CHECK(rows[i][2] == (i % 2 == 0 ? std::string("null") : std::to_string(-i)));
  }
}

TEST_CASE("row queue: the writer's first error is returned and later batches are not written") {
  Table t;
  std::atomic<int> batches{0};
  sim::RowQueue q(
      [&](const sim::RowQueue::Batch& b) -> Result<bool> {
        if (++batches == 2) return Error{"disk full"};
        for (const auto& row : b.rows) {
          sim::RowQueue::bind(b, row);
          if (auto ok = row.statement->run_and_reset(); !ok) return ok;
        }
        return true;
      },
      2);
  bool failed = false;
  for (int i = 0; i < 20 && !failed; ++i) {
    q.row(t.insert).bind(1, i).bind(2, std::string_view("x")).bind_null(3);
    auto ok = q.submit();
    if (!ok) {
      CHECK(ok.error().message == "disk full");
      failed = true;
    }
  }
  CHECK(failed);
  auto drained = q.drain();
  REQUIRE_FALSE(drained);
  CHECK(drained.error().message == "disk full");
  CHECK(batches == 2);  // the failed batch is the last one the writer was given
  CHECK(test::scalar(t.db.get(), "SELECT count(*) FROM t") == 2);
}

TEST_CASE("row queue: a row never submitted is not written; a null string_view is NULL") {
  // An exception between row() and submit() leaves a half-bound row: it must be dropped,
  // not stepped with the previous row's leftover bindings.
  Table t;
  sim::RowQueue q(
      [&](const sim::RowQueue::Batch& b) -> Result<bool> {
        for (const auto& row : b.rows) {
          sim::RowQueue::bind(b, row);
          if (auto ok = row.statement->run_and_reset(); !ok) return ok;
        }
        return true;
      },
      100);
  q.row(t.insert).bind(1, 1).bind(2, std::string_view("first")).bind(3, 10);
  REQUIRE(q.submit());
  q.row(t.insert).bind(1, 2).bind(2, std::string_view("abandoned"));  // no submit()
  q.row(t.insert).bind(1, 3).bind(2, std::string_view()).bind(3, 30);
  REQUIRE(q.submit());
  q.row(t.insert).bind(1, 4);  // no submit() before drain()
  REQUIRE(q.drain());
  const auto rows =
      test::rows(t.db.get(), "SELECT n, coalesce(s, 'null'), x FROM t ORDER BY rowid");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"1", "first", "10"});
  CHECK(rows[1] == std::vector<std::string>{"3", "null", "30"});
}

}  // namespace
}  // namespace ts
