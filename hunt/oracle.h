// Judging candidates: a candidate is a standalone scenario text (its seed and duration in
// it); the oracle runs it and evaluates the hunt's property on the run. Same text, same
// verdict (the simulator is deterministic), so verdicts are cached by the text's bytes and a
// candidate met again costs no run.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace ts::hunt {

enum class Outcome {
  kViolated,  // the run completed and the property is violated
  kHolds,     // the run completed and the property holds (or is n/a for it)
  kInvalid,   // the candidate is not a valid scenario (exit 2): it cannot violate anything
  kFailed,    // the run itself failed (exit 1: an invariant, I/O)
};

struct Trial {
  Outcome outcome = Outcome::kHolds;
  std::string detail;  // the verdict's detail, or the run's last log line
};

class Oracle {
 public:
  virtual ~Oracle() = default;
  // One trial per text, in order; the uncached ones are run as one batch (in parallel).
  std::vector<Trial> judge(const std::vector<std::string>& texts);
  std::size_t runs() const { return runs_; }        // candidates actually run
  std::size_t cache_hits() const { return hits_; }  // candidates answered from the cache

 protected:
  // Runs every text (distinct, none cached) and judges it.
  virtual std::vector<Trial> run_batch(const std::vector<std::string>& texts) = 0;

 private:
  std::map<std::string, Trial> cache_;
  std::size_t runs_ = 0, hits_ = 0;
};

}  // namespace ts::hunt

#include <cstdint>

#include "hunt/property.h"

namespace ts::hunt {

// Judges the newest run of the results DB at `db`, written by a `timesim run` that exited
// with `exit_code`: kInvalid for exit 2 (a bad scenario), kFailed when the run did not
// complete, else kViolated (the first property violated; detail names it) or kHolds.
Trial judge_run_db(const std::string& db, int exit_code, const std::vector<Property>& properties);

}  // namespace ts::hunt
