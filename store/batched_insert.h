// BatchedInsert: the rows of one `INSERT ... VALUES (?,...,?)` statement, stepped kRows at
// a time through a companion statement with kRows value tuples.
//
// Why: at every reset SQLite frees the statement's record buffer and closes its cursor, so
// a one-row insert pays for a malloc, a free and a cursor per row. callgrind on
// k8_postfix_1000 (10 min): about 2,000 of an insert's 5,500 instructions.
//
// Contract:
// - Rows reach the table in the order add() was given them. Rows of other statements may
//   be stepped in between, so rows of different statements interleave otherwise.
// - add() holds a row (by reference into its batch) and steps once kRows are held; flush()
//   steps the rows still held one by one through the one-row statement. A batch's rows
//   must be flushed (or discarded) before the batch is reused.
// - takes() is true only for a row of this statement that binds each of its parameters
//   exactly once (the Recorder's rows all do; a row that did not would take the previous
//   row's values for the rest, batched or not).
// - Errors are SQLite's. Inside a transaction, a failing add() inserts none of its kRows
//   rows; a failing flush() has inserted the rows before the failing one. Either way
//   nothing stays held.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/assert.h"
#include "common/result.h"
#include "store/row_queue.h"
#include "store/sqlite.h"

namespace ts::sim {

class BatchedInsert {
 public:
  static constexpr int kRows = 16;

  BatchedInsert() = default;
  // `single` is the one-row statement, prepared from `single_sql`, whose text must end with
  // its one `(?,...,?)` tuple. `prepare` compiles a statement (the caller's flags).
  template <class Prepare>
  static Result<BatchedInsert> make(sql::Statement& single, std::string_view single_sql,
                                    Prepare&& prepare);

  // Whether `row` is one of this statement's.
  bool serves(const RowQueue::Row& row) const { return row.statement == single_; }
  bool takes(const RowQueue::Batch& batch, const RowQueue::Row& row) const;
  Result<bool> add(const RowQueue::Batch& batch, const RowQueue::Row& row);
  Result<bool> flush(const RowQueue::Batch& batch);
  void discard() { held_count_ = 0; }  // after an error: the held rows are not written
  int held() const { return held_count_; }

 private:
  static std::string multi_sql(std::string_view single_sql, int params);

  sql::Statement* single_ = nullptr;
  sql::Statement multi_;
  int params_ = 0;
  std::array<const RowQueue::Row*, kRows> held_{};
  int held_count_ = 0;
};

template <class Prepare>
Result<BatchedInsert> BatchedInsert::make(sql::Statement& single, std::string_view single_sql,
                                          Prepare&& prepare) {
  BatchedInsert b;
  b.single_ = &single;
  b.params_ = single.parameter_count();
  TS_ASSERT(b.params_ >= 1 && b.params_ <= 64);  // takes() tracks parameters in 64 bits
  auto multi = prepare(multi_sql(single_sql, b.params_));
  if (!multi) return multi.error();
  TS_ASSERT(multi->parameter_count() == b.params_ * kRows);
  b.multi_ = std::move(*multi);
  return b;
}

}  // namespace ts::sim
