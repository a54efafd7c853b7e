// BatchedInsert: rows stepped 16 at a time through a multi-row statement must land exactly
// as the one-row statement would have put them, in order, NULLs and text included.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "store/batched_insert.h"
#include "test_util.h"

namespace ts {
namespace {

using sim::BatchedInsert;
using sim::RowQueue;

constexpr const char* kSingle = "INSERT INTO t VALUES (?,?,?)";

struct Table {
  sql::Db db;
  sql::Statement single;
  BatchedInsert batched;
  Table() {
    auto d = sql::Db::open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(d.ok());
    db = std::move(*d);
    // Not a rowid alias: rowid order is insertion order, whatever the keys.
    REQUIRE(db.exec("CREATE TABLE t (a INTEGER NOT NULL UNIQUE, b TEXT, c INTEGER)").ok());
    auto s = db.prepare(kSingle);
    REQUIRE(s.ok());
    single = std::move(*s);
    auto b = BatchedInsert::make(single, kSingle,
                                 [this](const std::string& sql) { return db.prepare(sql); });
    REQUIRE(b.ok());
    batched = std::move(*b);
  }
  std::string all() const {
    std::string out;
    for (const auto& r : test::rows(db.get(), "SELECT a, b, c FROM t ORDER BY rowid"))
      out += r[0] + "|" + r[1] + "|" + r[2] + ";";
    return out;
  }
};

// Row i binds (a = key, b = "r<i>", c = i or NULL for odd i), parameters in `order`.
void add_row(RowQueue::Batch& batch, sql::Statement* s, std::int64_t key, int i,
             std::vector<int> order = {1, 2, 3}) {
  RowQueue::Row row{s, static_cast<std::uint32_t>(batch.values.size()), 0};
  for (int p : order) {
    RowQueue::Value v;
    v.parameter = static_cast<std::int16_t>(p);
    if (p == 1) {
      v.type = RowQueue::ValueType::kInt;
      v.number = key;
    } else if (p == 2) {
      std::string text("r");
      text += std::to_string(i);
      v.type = RowQueue::ValueType::kText;
      v.number = static_cast<std::int64_t>(batch.text.size());
      v.text_size = static_cast<std::uint32_t>(text.size());
      batch.text += text;
    } else {
      v.type = i % 2 ? RowQueue::ValueType::kNull : RowQueue::ValueType::kInt;
      v.number = i;
    }
    batch.values.push_back(v);
    ++row.value_count;
  }
  batch.rows.push_back(row);
}

std::string expected(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += std::to_string(1000 - i) + "|r" + std::to_string(i) + "|" +
           (i % 2 ? std::string("NULL") : std::to_string(i)) + ";";
  return out;
}

TEST_CASE("batched insert: rows land as the one-row statement puts them, in order") {
  for (const int n : {1, 15, 16, 17, 37, 48}) {
    Table t;
    RowQueue::Batch batch;
    for (int i = 0; i < n; ++i)
      add_row(batch, &t.single, 1000 - i, i, i % 3 ? std::vector{1, 2, 3} : std::vector{3, 1, 2});
    for (const auto& row : batch.rows) {
      REQUIRE(t.batched.takes(batch, row));
      REQUIRE(t.batched.add(batch, row).ok());
    }
    // Full groups went in at the 16th row of each; the rest wait for flush().
    CHECK(t.batched.held() == n % BatchedInsert::kRows);
    CHECK(test::scalar(t.db.get(), "SELECT count(*) FROM t") ==
          n / BatchedInsert::kRows * BatchedInsert::kRows);
    REQUIRE(t.batched.flush(batch).ok());
    CHECK(t.batched.held() == 0);
    CHECK(t.all() == expected(n));
  }
}

TEST_CASE("batched insert: a row that does not bind each parameter once is not taken") {
  Table t;
  RowQueue::Batch batch;
  add_row(batch, &t.single, 1, 0, {1, 2});        // c unbound
  add_row(batch, &t.single, 2, 0, {1, 2, 2});     // b twice, c unbound
  add_row(batch, &t.single, 3, 0, {1, 2, 3, 3});  // one value too many
  add_row(batch, nullptr, 4, 0);                  // another statement's
  add_row(batch, &t.single, 5, 0);
  CHECK_FALSE(t.batched.takes(batch, batch.rows[0]));
  CHECK_FALSE(t.batched.takes(batch, batch.rows[1]));
  CHECK_FALSE(t.batched.takes(batch, batch.rows[2]));
  CHECK_FALSE(t.batched.takes(batch, batch.rows[3]));
  CHECK(t.batched.takes(batch, batch.rows[4]));
}

// Inside a transaction, as the Recorder writes: SQLite undoes the failing statement only.
TEST_CASE("batched insert: a failing group inserts none of its rows and says why") {
  Table t;
  REQUIRE(t.db.exec("BEGIN").ok());
  REQUIRE(t.db.exec("INSERT INTO t VALUES (1, 'before', 0)").ok());
  RowQueue::Batch batch;
  for (int i = 0; i < BatchedInsert::kRows; ++i)
    add_row(batch, &t.single, i == 9 ? 1000 : 1000 - i, i);  // row 9 repeats row 0's key
  for (int i = 0; i + 1 < BatchedInsert::kRows; ++i)
    REQUIRE(t.batched.add(batch, batch.rows[static_cast<std::size_t>(i)]).ok());
  auto last = t.batched.add(batch, batch.rows.back());
  REQUIRE_FALSE(last.ok());
  CHECK(last.error().message.find("UNIQUE constraint failed: t.a") != std::string::npos);
  CHECK(test::scalar(t.db.get(), "SELECT count(*) FROM t") == 1);
  CHECK(t.batched.held() == 0);
  REQUIRE(t.db.exec("COMMIT").ok());
}

TEST_CASE("batched insert: a failing flush has inserted the rows before the failing one") {
  Table t;
  REQUIRE(t.db.exec("BEGIN").ok());
  RowQueue::Batch batch;
  for (int i = 0; i < 5; ++i)
    add_row(batch, &t.single, i == 3 ? 1000 : 1000 - i, i);  // row 3 repeats row 0's key
  for (const auto& row : batch.rows)
    REQUIRE(t.batched.add(batch, row).ok());
  auto flushed = t.batched.flush(batch);
  REQUIRE_FALSE(flushed.ok());
  CHECK(flushed.error().message.find("UNIQUE constraint failed: t.a") != std::string::npos);
  CHECK(t.all() == expected(3));
  CHECK(t.batched.held() == 0);
  REQUIRE(t.db.exec("COMMIT").ok());
}

}  // namespace
}  // namespace ts
