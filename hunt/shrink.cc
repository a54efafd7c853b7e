#include "hunt/shrink.h"

#include <fmt/core.h>

#include <algorithm>

#include "hunt/ddmin.h"

namespace ts::hunt {
namespace {

constexpr int kMaxRounds = 4;

// The nodes a fault names, each once, ascending.
std::vector<std::uint32_t> targets_of(const sim::Fault& f) {
  std::vector<std::uint32_t> t;
  for (std::uint32_t n = 0; n < f.group_of.size(); ++n)
    if (f.group_of[n] >= 0) t.push_back(n);
  for (const auto* ids : {&f.from, &f.to, &f.nodes})
    t.insert(t.end(), ids->begin(), ids->end());
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

std::string describe(const Schedule& s) {
  return fmt::format("{} fault(s), {} node(s)", s.faults.size(), s.nodes.size());
}

}  // namespace

Shrinker::Shrinker(const ScenarioWriter& writer, std::uint64_t seed, std::string name,
                   std::vector<std::string> properties, Oracle& oracle, int jobs,
                   std::function<void(const std::string&)> log)
    : writer_(writer),
      seed_(seed),
      name_(std::move(name)),
      properties_(std::move(properties)),
      oracle_(oracle),
      jobs_(std::max(jobs, 1)),
      log_(std::move(log)) {}

std::string Shrinker::text(const Schedule& s, const std::string& header) const {
  return writer_.render(s, seed_, name_, properties_, header);
}

std::vector<bool> Shrinker::violated(const std::vector<Schedule>& batch) {
  std::vector<std::string> texts;
  for (const auto& s : batch)
    texts.push_back(text(s));
  std::vector<bool> out;
  for (const auto& t : oracle_.judge(texts))
    out.push_back(t.outcome == Outcome::kViolated);
  return out;
}

int Shrinker::first_violating(const std::vector<Schedule>& candidates) {
  if (candidates.empty()) return -1;
  const auto v = violated(candidates);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i]) return static_cast<int>(i);
  return -1;
}

bool Shrinker::shrink_faults(Schedule& s) {
  const std::size_t before = s.faults.size();
  if (before == 0) return false;
  Schedule none = s;
  none.faults.clear();
  Subset keep;
  if (first_violating({none}) < 0) {
    Subset all;
    for (std::size_t i = 0; i < before; ++i)
      all.push_back(i);
    keep = ddmin(all, [&](const std::vector<Subset>& subsets) {
      std::vector<Schedule> batch;
      for (const auto& sub : subsets) {
        Schedule c = s;
        c.faults.clear();
        for (auto i : sub)
          c.faults.push_back(s.faults[i]);
        batch.push_back(std::move(c));
      }
      return violated(batch);
    });
  }
  std::vector<sim::Fault> kept;
  for (auto i : keep)
    kept.push_back(s.faults[i]);
  s.faults = std::move(kept);
  if (s.faults.size() == before) return false;
  log_(fmt::format("faults: {} -> {} (ddmin)", before, s.faults.size()));
  return true;
}

bool Shrinker::shrink_nodes(Schedule& s) {
  if (!writer_.nodes_listed() || s.nodes.size() < 2) return false;
  const std::size_t before = s.nodes.size();
  auto restricted = [&](const Subset& positions) {
    Schedule c = s;
    c.nodes.clear();
    std::vector<bool> keep(writer_.base().nodes.size(), false);
    for (auto p : positions) {
      c.nodes.push_back(s.nodes[p]);
      keep[s.nodes[p]] = true;
    }
    c.faults.clear();
    for (const auto& f : s.faults)
      if (auto r = restrict_fault(f, keep)) c.faults.push_back(*r);
    return c;
  };
  Subset all;
  for (std::size_t i = 0; i < before; ++i)
    all.push_back(i);
  const Subset keep = ddmin(all, [&](const std::vector<Subset>& subsets) {
    std::vector<Schedule> batch;
    for (const auto& sub : subsets)
      batch.push_back(restricted(sub));
    return violated(batch);
  });
  if (keep.size() == before) return false;
  s = restricted(keep);
  log_(fmt::format("nodes: {} -> {} (ddmin); {}", before, s.nodes.size(), describe(s)));
  return true;
}

bool Shrinker::shrink_targets(Schedule& s, std::size_t i) {
  bool changed = false;
  while (true) {
    std::vector<Schedule> candidates;
    for (auto n : targets_of(s.faults[i])) {
      std::vector<bool> keep(writer_.base().nodes.size(), true);
      keep[n] = false;
      auto r = restrict_fault(s.faults[i], keep);
      if (!r) continue;
      Schedule c = s;
      c.faults[i] = *r;
      candidates.push_back(std::move(c));
    }
    const int k = first_violating(candidates);
    if (k < 0) return changed;
    s = candidates[static_cast<std::size_t>(k)];
    changed = true;
  }
}

bool Shrinker::shrink_length(Schedule& s, std::size_t i) {
  if (!s.faults[i].has_length()) return false;
  const Duration len = s.faults[i].length();
  // Halvings down to 1 s, longest first, then the length cut to whole seconds.
  std::vector<Duration> lengths;
  for (Duration d = len / 2 / kSecond * kSecond; d >= kSecond && lengths.size() < 12; d /= 2)
    lengths.push_back(d / kSecond * kSecond);
  if (len % kSecond != 0 && len > kSecond) lengths.push_back(len / kSecond * kSecond);
  std::vector<Schedule> candidates;
  for (auto d : lengths) {
    Schedule c = s;
    c.faults[i].set_length(d);
    candidates.push_back(std::move(c));
  }
  const auto v = violated(candidates);
  // The shortest length that still violates.
  int best = -1;
  for (std::size_t k = 0; k < v.size(); ++k)
    if (v[k] && (best < 0 || lengths[k] < lengths[static_cast<std::size_t>(best)]))
      best = static_cast<int>(k);
  if (best < 0) return false;
  s = candidates[static_cast<std::size_t>(best)];
  return true;
}

bool Shrinker::round_start(Schedule& s, std::size_t i) {
  const SimTime at = s.faults[i].start_ns;
  std::vector<Schedule> candidates;
  for (Duration grain : {kMinute, 10 * kSecond, kSecond}) {
    const SimTime rounded = (at + grain / 2) / grain * grain;
    if (rounded == at || rounded >= s.duration_ns) continue;
    Schedule c = s;
    auto& f = c.faults[i];
    if (f.end_ns != kNever) f.end_ns += rounded - at;
    f.start_ns = rounded;
    candidates.push_back(std::move(c));
  }
  const int k = first_violating(candidates);  // the coarsest rounding that still violates
  if (k < 0) return false;
  s = candidates[static_cast<std::size_t>(k)];
  return true;
}

bool Shrinker::simplify_fault(Schedule& s, std::size_t i) {
  bool changed = shrink_targets(s, i);
  changed = shrink_length(s, i) || changed;
  changed = round_start(s, i) || changed;
  if (changed) log_(fmt::format("fault {}: targets, length and start simplified", i + 1));
  return changed;
}

Duration Shrinker::first_violation(const Schedule& s) {
  // Invariant: the run violates at `hi` seconds and holds at `lo` seconds (0: nothing ran).
  std::int64_t lo = 0, hi = s.duration_ns / kSecond;
  if (s.duration_ns % kSecond != 0) ++hi;
  while (hi - lo > 1) {
    std::vector<std::int64_t> points;
    const std::int64_t k = std::min<std::int64_t>(jobs_, hi - lo - 1);
    for (std::int64_t j = 1; j <= k; ++j)
      points.push_back(lo + (hi - lo) * j / (k + 1));
    points.erase(std::unique(points.begin(), points.end()), points.end());
    std::vector<Schedule> batch;
    for (auto p : points) {
      Schedule c = s;
      c.duration_ns = std::min<Duration>(p * kSecond, s.duration_ns);
      batch.push_back(std::move(c));
    }
    const auto v = violated(batch);
    std::int64_t new_lo = lo, new_hi = hi;
    for (std::size_t j = 0; j < points.size(); ++j) {
      if (v[j]) {
        new_hi = points[j];
        break;
      }
      new_lo = points[j];
    }
    lo = new_lo;
    hi = new_hi;
  }
  return std::min<Duration>(hi * kSecond, s.duration_ns);
}

Result<Schedule> Shrinker::shrink(Schedule s) {
  if (first_violating({s}) < 0)
    return Error{"the failing run's fault schedule, replayed explicitly (chaos off, seed " +
                 std::to_string(seed_) + "), does not violate the property"};
  log_("start: " + describe(s));
  for (int round = 1; round <= kMaxRounds; ++round) {
    bool changed = shrink_faults(s);
    for (std::size_t i = 0; i < s.faults.size(); ++i)
      changed = simplify_fault(s, i) || changed;
    changed = shrink_nodes(s) || changed;
    if (!changed) break;
  }
  shrink_faults(s);  // last: whatever the rounds changed, no single fault can go
  log_("result: " + describe(s));
  return s;
}

}  // namespace ts::hunt
