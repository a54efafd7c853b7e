#include "hunt/oracle.h"

#include <algorithm>

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
  auto last = opened->prepare("SELECT run_id, status FROM runs ORDER BY run_id DESC LIMIT 1");
  if (!last || !last->next()) {
    t.outcome = Outcome::kFailed;
    t.detail = "no run recorded";
    return t;
  }
  const std::int64_t run_id = last->int64(0);
  const std::string st = last->text(1);
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
