#include "analysis/stats.h"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>

namespace ts::analysis {
double student_t_cdf(double t, double df) {
  return boost::math::cdf(boost::math::students_t_distribution<double>(df), t);
}

double student_t_quantile(double p, double df) {
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
}

Describe describe(const std::vector<double>& xs) {
  Describe d;
  d.n = xs.size();
  if (d.n == 0) return d;
  double sum = 0;
  for (double x : xs)
    sum += x;
  d.mean = sum / static_cast<double>(d.n);
  d.ci_lo = d.ci_hi = d.mean;
  if (d.n < 2) return d;
  double ss = 0;
  for (double x : xs)
    ss += (x - d.mean) * (x - d.mean);
  d.sd = std::sqrt(ss / static_cast<double>(d.n - 1));
  const double half = student_t_quantile(0.975, static_cast<double>(d.n - 1)) * d.sd /
                      std::sqrt(static_cast<double>(d.n));
  d.ci_lo = d.mean - half;
  d.ci_hi = d.mean + half;
  return d;
}

Difference welch(const Describe& a, const Describe& b) {
  Difference r;
  r.delta = b.mean - a.mean;
  const double va = a.n > 1 ? a.sd * a.sd / static_cast<double>(a.n) : 0;
  const double vb = b.n > 1 ? b.sd * b.sd / static_cast<double>(b.n) : 0;
  const double se2 = va + vb;
  if (se2 <= 0) {
    r.lo = r.hi = r.delta;
    r.significant = r.delta != 0;
    return r;
  }
  double denom = 0;
  if (a.n > 1) denom += va * va / static_cast<double>(a.n - 1);
  if (b.n > 1) denom += vb * vb / static_cast<double>(b.n - 1);
  r.df = se2 * se2 / denom;
  const double half = student_t_quantile(0.975, r.df) * std::sqrt(se2);
  r.lo = r.delta - half;
  r.hi = r.delta + half;
  r.significant = r.lo > 0 || r.hi < 0;
  return r;
}

}  // namespace ts::analysis
