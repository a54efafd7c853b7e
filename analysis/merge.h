// Folds single-run results DBs into one multi-run DB (used by `timesim compare --db`).
// Every table of an input that has a run_id column is copied with run_ids renumbered after
// the output's existing runs; tables the output lacks are created from the input's schema.
// Each copied run is also listed in `compare_runs (run_id, side, label, seed)` so charts
// and reports can tell the compared sides apart.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace ts::analysis {

struct MergeInput {
  std::string path;   // a results DB written by `timesim run` (any number of runs)
  std::string side;   // "A" or "B"; empty: no compare_runs rows (plain `timesim merge`)
  std::string label;  // e.g. the scenario name or version
  std::uint64_t seed = 0;
};

// Called before each input and once at the end with the number of inputs folded (each one
// committed) so far; returning true stops the merge there: the output stays a valid DB
// holding those inputs, with its indexes.
using MergeStop = std::function<bool(std::size_t folded)>;

// Creates (or appends to) the results DB `out` and copies every input into it, in order.
Result<bool> merge_results(const std::string& out, const std::vector<MergeInput>& inputs,
                           const MergeStop& stop = {});

}  // namespace ts::analysis
