#include "hunt/search.h"

#include <algorithm>

namespace ts::hunt {

SearchResult search_seeds(std::uint64_t first, std::uint64_t last, std::size_t batch,
                          const SearchHooks& hooks) {
  SearchResult r;
  r.progress.total = last - first + 1;
  batch = std::max<std::size_t>(batch, 1);
  std::uint64_t next = first;
  bool done = false;
  while (!done) {
    if (hooks.stop && hooks.stop()) {
      r.stopped = true;
      break;
    }
    std::vector<std::uint64_t> seeds;
    while (seeds.size() < batch && !done) {
      seeds.push_back(next);
      done = next == last;
      ++next;
    }
    const auto trials = hooks.run(seeds);
    for (std::size_t i = 0; i < seeds.size() && i < trials.size(); ++i) {
      ++r.progress.tried;
      if (trials[i].outcome == Outcome::kViolated) {
        ++r.progress.failures;
        if (!r.seed) {
          r.seed = seeds[i];
          r.trial = trials[i];
        }
      } else if (trials[i].outcome != Outcome::kHolds) {
        ++r.progress.errors;
      }
    }
    if (hooks.progress) hooks.progress(r.progress);
    if (r.seed) break;
  }
  return r;
}

}  // namespace ts::hunt
