// Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing
// Input", 2002): ddmin reduces a failing set of items to a 1-minimal failing subset, one in
// which removing any single item makes the failure go away.
//
// Candidates are tested in batches (a batch's runs can go in parallel); within a batch the
// first failing candidate in batch order wins, so the result does not depend on which run
// finishes first.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace ts::hunt {

// Indices into the caller's items, ascending.
using Subset = std::vector<std::size_t>;
// For each candidate subset: whether it still fails. Must be deterministic.
using BatchTest = std::function<std::vector<bool>(const std::vector<Subset>&)>;

// `items` must fail. At each granularity n it tests the n chunks in one batch, then (if none
// fails) their n complements in another; it ends when no complement of a single item fails,
// so the result is 1-minimal. An empty `items` is returned as it is.
Subset ddmin(Subset items, const BatchTest& test);

// Splits `items` into `n` contiguous chunks of near-equal size (the first ones one larger).
std::vector<Subset> split(const Subset& items, std::size_t n);

}  // namespace ts::hunt
