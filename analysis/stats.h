// Small-sample statistics for comparing runs over seeds: mean, sample standard deviation,
// Student-t confidence intervals and Welch's two-sample interval for a difference of means.
// Pure functions on doubles; the t distribution is Boost.Math's. Deterministic.
#pragma once

#include <cstddef>
#include <vector>

namespace ts::analysis {

// P(T <= t) for Student's t with `df` > 0 degrees of freedom (df may be fractional).
double student_t_cdf(double t, double df);
// The t with student_t_cdf(t, df) == p, for 0 < p < 1.
double student_t_quantile(double p, double df);

struct Describe {
  std::size_t n = 0;
  double mean = 0;
  double sd = 0;     // sample standard deviation (n - 1); 0 when n < 2
  double ci_lo = 0;  // 95 % confidence interval of the mean (Student t, n - 1 df);
  double ci_hi = 0;  // equal to the mean when n < 2 or sd == 0
};
Describe describe(const std::vector<double>& xs);

struct Difference {
  double delta = 0;  // mean(b) - mean(a)
  double lo = 0;     // 95 % Welch interval of the difference
  double hi = 0;
  double df = 0;             // Welch-Satterthwaite degrees of freedom (0 when both sds are 0)
  bool significant = false;  // the interval excludes 0
};
// Welch's interval for mean(b) - mean(a) from the two summaries. REQUIRES a.n, b.n >= 1.
// With both sds 0 the difference is exact: significant iff the means differ.
Difference welch(const Describe& a, const Describe& b);

}  // namespace ts::analysis
