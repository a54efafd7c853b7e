#include "store/batched_insert.h"

#include <string>

namespace ts::sim {

std::string BatchedInsert::multi_sql(std::string_view single_sql, int params) {
  const std::size_t open = single_sql.rfind('(');
  TS_ASSERT(open != std::string_view::npos && single_sql.back() == ')');
  std::string tuple = "(";
  for (int p = 0; p < params; ++p)
    tuple += p ? ",?" : "?";
  tuple += ")";
  TS_ASSERT(single_sql.substr(open) == tuple);  // the statement's own tuple, nothing else
  std::string sql(single_sql.substr(0, open));
  for (int r = 0; r < kRows; ++r) {
    if (r) sql += ',';
    sql += tuple;
  }
  return sql;
}

bool BatchedInsert::takes(const RowQueue::Batch& batch, const RowQueue::Row& row) const {
  if (row.statement != single_ || static_cast<int>(row.value_count) != params_) return false;
  std::uint64_t seen = 0;  // bit p - 1: parameter p is bound (params_ <= 64, asserted by make)
  for (std::uint32_t k = 0; k < row.value_count; ++k) {
    const int p = batch.values[row.first_value + k].parameter;
    if (p < 1 || p > params_) return false;
    seen |= std::uint64_t{1} << (p - 1);
  }
  return seen == (params_ == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << params_) - 1);
}

Result<bool> BatchedInsert::add(const RowQueue::Batch& batch, const RowQueue::Row& row) {
  held_[static_cast<std::size_t>(held_count_++)] = &row;
  if (held_count_ < kRows) return true;
  for (int r = 0; r < kRows; ++r)
    RowQueue::bind(batch, *held_[static_cast<std::size_t>(r)], multi_, r * params_);
  held_count_ = 0;
  return multi_.run_and_reset();
}

Result<bool> BatchedInsert::flush(const RowQueue::Batch& batch) {
  const int n = held_count_;
  held_count_ = 0;
  for (int r = 0; r < n; ++r) {
    RowQueue::bind(batch, *held_[static_cast<std::size_t>(r)], *single_, 0);
    if (auto ok = single_->run_and_reset(); !ok) return ok;
  }
  return true;
}

}  // namespace ts::sim
