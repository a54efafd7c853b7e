// The search half of `timesim hunt`: run chaos seeds in ascending order, a batch at a time,
// until a run violates the property or the seeds or the budget run out. Batches finish
// whole, so the seed found is the lowest failing seed of the range whatever the batch size
// (the budget only decides how far the search gets, never what a run yields).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "hunt/oracle.h"

namespace ts::hunt {

struct SearchProgress {
  std::uint64_t tried = 0, total = 0, failures = 0, errors = 0;
};

struct SearchResult {
  std::optional<std::uint64_t> seed;  // the lowest failing seed, if one was found
  Trial trial;                        // its trial
  SearchProgress progress;
  bool stopped = false;  // the budget ran out (or an interrupt) before the range did
};

struct SearchHooks {
  // Runs the seeds (one batch, in parallel) and judges each run.
  std::function<std::vector<Trial>(const std::vector<std::uint64_t>&)> run;
  // Asked before each batch: true stops the search (budget spent, interrupted).
  std::function<bool()> stop;
  // Told after each batch.
  std::function<void(const SearchProgress&)> progress;
};

SearchResult search_seeds(std::uint64_t first, std::uint64_t last, std::size_t batch,
                          const SearchHooks& hooks);

}  // namespace ts::hunt
