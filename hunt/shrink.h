// Shrinking a failing fault schedule to a 1-minimal one (docs/hunt.md): with chaos off and
// the schedule replayed explicitly under the same seed, reduce
//   1. the set of faults (ddmin),
//   2. each fault: its targets (one node at a time), its length (halvings, whole seconds)
//      and its start (rounded to 1 min, 10 s or 1 s),
//   3. the set of nodes (ddmin; faults keep only the kept nodes as targets),
// and repeat until a round changes nothing; then check 1-minimality of the faults once more.
// Every accepted step keeps the property violated, so the result still fails, and no single
// fault can be removed from it. The run's duration is kept: properties such as
// `blocks_committed >= slots - 1` depend on it (first_violation reports the earliest end at
// which the property is already violated instead).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "hunt/oracle.h"
#include "hunt/schedule.h"

namespace ts::hunt {

class Shrinker {
 public:
  // Candidates are rendered by `writer` with `seed`, `name` and `properties` and judged by
  // `oracle`, at most `jobs` at a time where a step has several to try; `log` receives one
  // line per step.
  Shrinker(const ScenarioWriter& writer, std::uint64_t seed, std::string name,
           std::vector<std::string> properties, Oracle& oracle, int jobs,
           std::function<void(const std::string&)> log);

  // The candidate text of `s` (what the oracle runs).
  std::string text(const Schedule& s, const std::string& header = "") const;
  // Whether each schedule violates the property (one batch).
  std::vector<bool> violated(const std::vector<Schedule>& batch);

  // `start` must violate the property; error otherwise.
  Result<Schedule> shrink(Schedule start);

  // The shortest duration in whole seconds (at most s.duration_ns) at which `s` already
  // violates the property: a (jobs+1)-ary search with `jobs` candidates a batch.
  Duration first_violation(const Schedule& s);

 private:
  bool shrink_faults(Schedule& s);
  bool shrink_nodes(Schedule& s);
  bool simplify_fault(Schedule& s, std::size_t i);
  bool shrink_targets(Schedule& s, std::size_t i);
  bool shrink_length(Schedule& s, std::size_t i);
  bool round_start(Schedule& s, std::size_t i);
  // The first of `candidates` that violates the property, or -1.
  int first_violating(const std::vector<Schedule>& candidates);

  const ScenarioWriter& writer_;
  std::uint64_t seed_;
  std::string name_;
  std::vector<std::string> properties_;
  Oracle& oracle_;
  int jobs_;
  std::function<void(const std::string&)> log_;
};

}  // namespace ts::hunt
