#include "hunt/ddmin.h"

#include <algorithm>

namespace ts::hunt {
namespace {

Subset without(const Subset& items, const Subset& chunk) {
  Subset out;
  std::set_difference(items.begin(), items.end(), chunk.begin(), chunk.end(),
                      std::back_inserter(out));
  return out;
}

// Index of the first candidate that fails, or -1.
int first_failing(const std::vector<Subset>& candidates, const BatchTest& test) {
  const auto fails = test(candidates);
  for (std::size_t i = 0; i < fails.size() && i < candidates.size(); ++i)
    if (fails[i]) return static_cast<int>(i);
  return -1;
}

}  // namespace

std::vector<Subset> split(const Subset& items, std::size_t n) {
  std::vector<Subset> chunks;
  n = std::max<std::size_t>(1, std::min(n, items.size()));
  const std::size_t base = items.size() / n, extra = items.size() % n;
  std::size_t at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t len = base + (i < extra ? 1 : 0);
    chunks.emplace_back(items.begin() + static_cast<std::ptrdiff_t>(at),
                        items.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
  }
  return chunks;
}

Subset ddmin(Subset items, const BatchTest& test) {
  std::sort(items.begin(), items.end());
  std::size_t n = 2;
  while (items.size() >= 2) {
    const auto chunks = split(items, n);
    // Reduce to a subset: one chunk alone still fails.
    if (const int i = first_failing(chunks, test); i >= 0) {
      items = chunks[static_cast<std::size_t>(i)];
      n = 2;
      continue;
    }
    // Reduce to a complement (with n == 2 the complements are the chunks, already tested).
    if (n > 2) {
      std::vector<Subset> complements;
      for (const auto& c : chunks)
        complements.push_back(without(items, c));
      if (const int i = first_failing(complements, test); i >= 0) {
        items = complements[static_cast<std::size_t>(i)];
        n = std::max<std::size_t>(n - 1, 2);
        continue;
      }
    }
    if (n >= items.size()) break;  // every single item was tried alone and left out
    n = std::min(n * 2, items.size());
  }
  return items;
}

}  // namespace ts::hunt
