#include "store/row_queue.h"

#include <chrono>
#include <utility>

namespace ts::sim {

void RowQueue::Batch::clear() {
  rows.clear();
  values.clear();
  text.clear();
}

RowQueue::Builder& RowQueue::Builder::bind(int parameter, std::string_view v) {
  if (v.data() == nullptr) return bind_null(parameter);  // as sqlite3_bind_text binds it
  const auto at = static_cast<std::int64_t>(batch_.text.size());
  batch_.text.append(v);
  return add({at, static_cast<std::uint32_t>(v.size()), static_cast<std::int16_t>(parameter),
              ValueType::kText});
}

void RowQueue::bind(const Batch& batch, const Row& row, sql::Statement& s, int offset) {
  for (std::uint32_t k = 0; k < row.value_count; ++k) {
    const Value& v = batch.values[row.first_value + k];
    const int p = v.parameter + offset;
    switch (v.type) {
      case ValueType::kInt:
        s.bind(p, v.number);
        break;
      case ValueType::kText:
        s.bind(
            p,
            std::string_view(batch.text).substr(static_cast<std::size_t>(v.number), v.text_size));
        break;
      case ValueType::kNull:
        s.bind_null(p);
        break;
    }
  }
}

RowQueue::RowQueue(Writer writer, std::size_t rows_per_batch)
    : writer_(std::move(writer)), rows_per_batch_(rows_per_batch) {
  thread_ = std::thread([this] { run(); });
}

RowQueue::~RowQueue() {
  (void)drain();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RowQueue::drop_open_row() {
  if (!row_open_) return;
  row_open_ = false;
  filling_.values.resize(filling_.rows.back().first_value);
  filling_.text.resize(open_row_text_at_);
  filling_.rows.pop_back();
}

RowQueue::Builder RowQueue::row(sql::Statement& statement) {
  drop_open_row();  // one an exception left half bound
  row_open_ = true;
  open_row_text_at_ = filling_.text.size();
  filling_.rows.push_back({&statement, static_cast<std::uint32_t>(filling_.values.size()), 0});
  return Builder(filling_);
}

Result<bool> RowQueue::submit() {
  row_open_ = false;
  if (filling_.rows.size() < rows_per_batch_) return true;
  return hand_off();
}

void RowQueue::wait_idle(std::unique_lock<std::mutex>& lock) {
  if (!out_) return;
  const auto t0 =
      timing_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  changed_.wait(lock, [this] { return !out_; });
  if (timing_)
    wait_ns_ +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count();
}

Result<bool> RowQueue::hand_off() {
  {
    std::unique_lock lock(mutex_);
    wait_idle(lock);
    if (auto e = error(); !e) return e;
    std::swap(filling_, writing_);
    out_ = true;
  }
  changed_.notify_all();
  filling_.clear();  // the batch the writer finished: its capacity is reused
  return true;
}

Result<bool> RowQueue::drain() {
  drop_open_row();
  if (!filling_.rows.empty()) {
    if (auto ok = hand_off(); !ok) return ok;
  }
  std::unique_lock lock(mutex_);
  wait_idle(lock);
  return error();
}

Result<bool> RowQueue::error() const {
  if (writer_threw_) return Error{"results DB writer thread: out of memory"};
  if (error_) return *error_;
  return true;
}

void RowQueue::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return out_ || stop_; });
    if (!out_) return;  // stopped with nothing out
    lock.unlock();
    // hand_off() gives out no batch once error_ is set: this is the first error.
    bool threw = false;
    try {
      if (auto ok = writer_(writing_); !ok) {
        lock.lock();
        error_ = ok.error();
        lock.unlock();
      }
    } catch (...) {  // std::bad_alloc: reported by the owner, which can allocate the text
      threw = true;
    }
    lock.lock();
    if (threw) writer_threw_ = true;
    out_ = false;
    changed_.notify_all();
  }
}

}  // namespace ts::sim
