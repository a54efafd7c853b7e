// RowQueue: INSERT rows kept in memory, in order, until a writer thread binds and steps them,
// so the simulation loop does not wait on SQLite while a batch is written.
//
// Contract:
// - The owner builds rows on one thread (row(), the Builder's binds, submit()); values are
//   copied into the queue, so a row's text may die after the bind.
// - The writer function runs on the queue's own thread, one batch at a time, in queue order,
//   and is the only user of the DB while a batch is out. After drain() returns, no batch is
//   out and the owner may use the DB directly until it queues the next row.
// - The first error the writer returns (or an exception it throws) is kept; later batches
//   are discarded, and submit() and drain() return that error from then on.
// - A row is queued by submit(): one that row() started and an exception interrupted is
//   dropped, never written half bound.
// - The rows a run writes are the same as if each had been stepped where it was queued, and
//   each statement's in the same order: only when they reach SQLite moves (and, for a
//   writer that batches some statements' rows, how rows of different statements
//   interleave).
#pragma once

#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/sqlite.h"

namespace ts::sim {

class RowQueue {
 public:
  enum class ValueType : std::uint8_t { kInt, kText, kNull };
  struct Value {
    std::int64_t number = 0;  // kInt: the value; kText: the text's offset in Batch::text
    std::uint32_t text_size = 0;
    std::int16_t parameter = 0;  // 1-based, as sqlite3_bind_*
    ValueType type = ValueType::kNull;
  };
  struct Row {
    sql::Statement* statement = nullptr;
    std::uint32_t first_value = 0;  // in Batch::values
    std::uint32_t value_count = 0;
  };
  struct Batch {
    std::vector<Row> rows;
    std::vector<Value> values;
    std::string text;  // every text value's bytes
    void clear();
  };

  // Appends one row's values; submit() queues it.
  class Builder {
   public:
    template <std::integral T>
    Builder& bind(int parameter, T v) {
      return add(
          {static_cast<std::int64_t>(v), 0, static_cast<std::int16_t>(parameter), ValueType::kInt});
    }
    Builder& bind(int parameter, std::string_view v);
    Builder& bind_null(int parameter) {
      return add({0, 0, static_cast<std::int16_t>(parameter), ValueType::kNull});
    }

   private:
    friend class RowQueue;
    explicit Builder(Batch& b) : batch_(b) {}
    Builder& add(const Value& v) {
      batch_.values.push_back(v);
      ++batch_.rows.back().value_count;
      return *this;
    }
    Batch& batch_;
  };

  // Writes one batch's rows; runs on the writer thread.
  using Writer = std::function<Result<bool>(const Batch&)>;
  // Binds `row`'s values to its statement (for a Writer, before it steps the row).
  static void bind(const Batch& batch, const Row& row) { bind(batch, row, *row.statement, 0); }
  // The same values into `into`, each at its parameter + `offset` (a multi-row statement).
  static void bind(const Batch& batch, const Row& row, sql::Statement& into, int offset);

  RowQueue(Writer writer, std::size_t rows_per_batch);
  ~RowQueue();  // writes what is queued (errors are dropped: call drain() to see them)
  RowQueue(const RowQueue&) = delete;
  RowQueue& operator=(const RowQueue&) = delete;

  // Starts a row for `statement` (which must outlive the queue's use of it).
  Builder row(sql::Statement& statement);
  // Ends the row row() started; hands the batch to the writer once it is full (waiting for
  // the previous batch when that is still out).
  Result<bool> submit();
  // Returns once every queued row is written (or the writer failed).
  Result<bool> drain();

  // Wall time the owner spent waiting for the writer, measured only after set_timing(true).
  void set_timing(bool on) { timing_ = on; }
  double wait_seconds() const { return static_cast<double>(wait_ns_) / 1e9; }

 private:
  Result<bool> hand_off();     // owner: waits for the writer, gives it the filling batch
  void drop_open_row();        // owner: the row row() started and submit() did not end
  Result<bool> error() const;  // with mutex_ held
  void wait_idle(std::unique_lock<std::mutex>& lock);
  void run();  // the writer thread

  Writer writer_;
  std::size_t rows_per_batch_;
  Batch filling_;  // the owner's
  Batch writing_;  // the writer's while out_
  std::mutex mutex_;
  std::condition_variable changed_;
  bool out_ = false;            // writing_ is the writer's (guarded by mutex_)
  bool stop_ = false;           // guarded by mutex_
  std::optional<Error> error_;  // guarded by mutex_
  bool writer_threw_ = false;   // guarded by mutex_
  bool row_open_ = false;       // the owner's: row() was called, submit() not yet
  std::size_t open_row_text_at_ = 0;
  bool timing_ = false;
  std::int64_t wait_ns_ = 0;
  std::thread thread_;  // last: started once the rest is built, joined first
};

}  // namespace ts::sim
