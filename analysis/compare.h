// Comparing two samples of runs (A = baseline/old, B = candidate/new), metric by metric:
// per-side mean and 95 % CI, Welch interval of the difference, and a verdict from the
// metric's better direction. Also parses and checks `--fail-if` thresholds.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "analysis/metrics.h"
#include "analysis/stats.h"
#include "common/result.h"

namespace ts::analysis {

struct MetricComparison {
  int metric = 0;  // index into metric_defs()
  Describe a, b;   // n == 0 when the metric is n/a on that side
  Difference diff;
  double rel_delta = 0;  // diff.delta / |a.mean|; +-inf when a.mean == 0 and delta != 0
  bool na = false;       // a side has no value: nothing to compare
  std::string verdict;   // "better", "worse", "same" (no significant difference), "n/a"
  bool cis_overlap = true;
};

// The values of metric `m` over `runs`, skipping runs where it is n/a.
std::vector<double> metric_values(const std::vector<RunMetrics>& runs, int m);
// A difference counts as significant when Welch's 95 % interval excludes 0 AND it is at
// least `min_effect` of |A's mean| (a practical-significance floor: with many seeds a
// 0.01 % shift can be "statistically" real and still mean nothing). When A's mean is 0
// any nonzero difference passes the floor.
inline constexpr double kDefaultMinEffect = 0.01;
MetricComparison compare_metric(int m, const Describe& a, const Describe& b,
                                double min_effect = kDefaultMinEffect);
std::vector<MetricComparison> compare_runs(const std::vector<RunMetrics>& a,
                                           const std::vector<RunMetrics>& b,
                                           double min_effect = kDefaultMinEffect);

// `METRIC OP VALUE`: OP is >, >=, < or <=; VALUE is a relative change of B against A
// ("+5%", "-10%") or an absolute change in the metric's unit ("+0.5", "-3"). A threshold
// triggers when the difference is statistically significant AND past the value, e.g.
// `churn_per_link_hour > +5%` fails when B's churn is significantly more than 5 % above A's.
struct Threshold {
  std::string text;
  int metric = 0;
  enum class Op { kGt, kGe, kLt, kLe } op = Op::kGt;
  double value = 0;  // a fraction when relative (5% -> 0.05)
  bool relative = false;
};
Result<Threshold> parse_threshold(std::string_view text);

struct ThresholdCheck {
  Threshold threshold;
  bool triggered = false;
  std::string detail;  // "delta +12.3% (significant)" or why not
};
ThresholdCheck check_threshold(const Threshold& t, const MetricComparison& c);

// Human-readable number: 4 significant digits, no exponent for ordinary magnitudes.
std::string fmt_num(double v);
// Text table of the comparison (one row per metric).
std::string format_comparison(const std::vector<MetricComparison>& rows);
nlohmann::json comparison_json(const MetricComparison& c);

}  // namespace ts::analysis
