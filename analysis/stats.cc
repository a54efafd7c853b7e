#include "analysis/stats.h"

#include <cmath>

namespace ts::analysis {
namespace {

// Continued fraction for the regularized incomplete beta function (modified Lentz).
double beta_cf(double a, double b, double x) {
  constexpr int kMaxIter = 300;
  constexpr double kEps = 1e-15, kTiny = 1e-300;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIter; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < kEps) break;
  }
  return h;
}

// I_x(a, b), the regularized incomplete beta function.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double ln_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(ln_front);
  if (x < (a + 1) / (a + b + 2)) return front * beta_cf(a, b, x) / a;
  return 1 - front * beta_cf(b, a, 1 - x) / b;
}

}  // namespace

double student_t_cdf(double t, double df) {
  const double x = df / (df + t * t);
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, x);  // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (p == 0.5) return 0;
  double lo = -1e6, hi = 1e6;
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
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
