#include "hunt/oracle.h"

#include <algorithm>
#include <memory>

namespace ts::hunt {

std::vector<Trial> Oracle::judge(const std::vector<std::string>& texts) {
  std::vector<std::string> misses;
  for (const auto& t : texts)
    if (!cache_.contains(t) && std::find(misses.begin(), misses.end(), t) == misses.end())
      misses.push_back(t);
  if (!misses.empty()) {
    const auto trials = run_batch(misses);
    for (std::size_t i = 0; i < misses.size() && i < trials.size(); ++i)
      cache_[misses[i]] = trials[i];
    runs_ += misses.size();
  }
  hits_ += texts.size() - misses.size();
  std::vector<Trial> out;
  for (const auto& t : texts)
    out.push_back(cache_[t]);
  return out;
}

}  // namespace ts::hunt

#include <sqlite3.h>

#include "common/quote.h"
#include "store/results_db.h"

namespace ts::hunt {

Trial judge_run_db(const std::string& db, int exit_code, const std::vector<Property>& properties) {
  Trial t;
  if (exit_code == 2) {
    t.outcome = Outcome::kInvalid;
    t.detail = "not a valid scenario";
    return t;
  }
  auto opened = sim::open_results_db_for_reading(db);
  if (!opened) {
    t.outcome = Outcome::kFailed;
    t.detail = opened.error().message;
    return t;
  }
  sqlite3_stmt* raw = nullptr;
  sqlite3_prepare_v2(opened->get(), "SELECT run_id, status FROM runs ORDER BY run_id DESC LIMIT 1",
                     -1, &raw, nullptr);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
  if (!raw || sqlite3_step(raw) != SQLITE_ROW) {
    t.outcome = Outcome::kFailed;
    t.detail = "no run recorded";
    return t;
  }
  const std::int64_t run_id = sqlite3_column_int64(raw, 0);
  const auto* status = sqlite3_column_text(raw, 1);
  const std::string st = status ? reinterpret_cast<const char*>(status) : "";
  if (st != "complete") {
    t.outcome = Outcome::kFailed;
    t.detail = "run status " + quote(st);
    return t;
  }
  for (const auto& p : properties) {
    auto v = evaluate(p, opened->get(), run_id);
    if (!v) {
      t.outcome = Outcome::kFailed;
      t.detail = v.error().message;
      return t;
    }
    if (v->violated) {
      t.outcome = Outcome::kViolated;
      t.detail = quote(p.text) + ": " + v->detail;
      return t;
    }
  }
  return t;
}

}  // namespace ts::hunt
