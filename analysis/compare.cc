#include "analysis/compare.h"

#include <fmt/core.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace ts::analysis {

std::vector<double> metric_values(const std::vector<RunMetrics>& runs, int m) {
  std::vector<double> out;
  for (const auto& r : runs)
    if (r.values[static_cast<std::size_t>(m)])
      out.push_back(*r.values[static_cast<std::size_t>(m)]);
  return out;
}

MetricComparison compare_metric(int m, const Describe& a, const Describe& b, double min_effect) {
  MetricComparison c;
  c.metric = m;
  c.a = a;
  c.b = b;
  if (a.n == 0 || b.n == 0) {
    c.na = true;
    c.verdict = "n/a";
    return c;
  }
  c.diff = welch(a, b);
  if (a.mean != 0)
    c.rel_delta = c.diff.delta / std::fabs(a.mean);
  else if (c.diff.delta != 0)
    c.rel_delta = c.diff.delta > 0 ? std::numeric_limits<double>::infinity()
                                   : -std::numeric_limits<double>::infinity();
  c.cis_overlap = !(a.ci_hi < b.ci_lo || b.ci_hi < a.ci_lo);
  if (std::fabs(c.rel_delta) < min_effect) c.diff.significant = false;
  if (!c.diff.significant) {
    c.verdict = "same";
  } else {
    const bool higher = c.diff.delta > 0;
    c.verdict =
        higher == metric_defs()[static_cast<std::size_t>(m)].higher_is_better ? "better" : "worse";
  }
  return c;
}

std::vector<MetricComparison> compare_runs(const std::vector<RunMetrics>& a,
                                           const std::vector<RunMetrics>& b, double min_effect) {
  std::vector<MetricComparison> out;
  for (int m = 0; m < static_cast<int>(metric_defs().size()); ++m)
    out.push_back(compare_metric(m, describe(metric_values(a, m)), describe(metric_values(b, m)),
                                 min_effect));
  return out;
}

Result<Threshold> parse_threshold(std::string_view text) {
  Threshold t;
  t.text = std::string(text);
  auto bad = [&](const std::string& why) {
    return Error{"--fail-if '" + std::string(text) + "': " + why +
                 " (expected e.g. 'churn_per_link_hour > +5%' or 'lifetime_median_s < -30')"};
  };
  std::size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
  };
  skip();
  const std::size_t name_start = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_'))
    ++i;
  const std::string name(text.substr(name_start, i - name_start));
  if (name.empty()) return bad("no metric name");
  t.metric = metric_index(name);
  if (t.metric < 0) {
    std::string names;
    for (const auto& d : metric_defs())
      names += (names.empty() ? "" : ", ") + std::string(d.name);
    return bad("unknown metric '" + name + "'; metrics: " + names);
  }
  skip();
  if (i >= text.size()) return bad("no comparison operator");
  const bool eq = i + 1 < text.size() && text[i + 1] == '=';
  if (text[i] == '>')
    t.op = eq ? Threshold::Op::kGe : Threshold::Op::kGt;
  else if (text[i] == '<')
    t.op = eq ? Threshold::Op::kLe : Threshold::Op::kLt;
  else
    return bad("the operator must be >, >=, < or <=");
  i += eq ? 2 : 1;
  skip();
  std::string num(text.substr(i));
  while (!num.empty() && std::isspace(static_cast<unsigned char>(num.back())))
    num.pop_back();
  if (!num.empty() && num.back() == '%') {
    t.relative = true;
    num.pop_back();
  }
  if (num.empty()) return bad("no value");
  std::size_t used = 0;
  try {
    t.value = std::stod(num, &used);
  } catch (const std::exception&) {
    return bad("'" + num + "' is not a number");
  }
  if (used != num.size() || !std::isfinite(t.value)) return bad("'" + num + "' is not a number");
  if (t.relative) t.value /= 100.0;
  return t;
}

ThresholdCheck check_threshold(const Threshold& t, const MetricComparison& c) {
  ThresholdCheck r;
  r.threshold = t;
  if (c.na) {
    r.detail = "n/a (the metric has no value on one side)";
    return r;
  }
  const double x = t.relative ? c.rel_delta : c.diff.delta;
  bool past = false;
  switch (t.op) {
    case Threshold::Op::kGt:
      past = x > t.value;
      break;
    case Threshold::Op::kGe:
      past = x >= t.value;
      break;
    case Threshold::Op::kLt:
      past = x < t.value;
      break;
    case Threshold::Op::kLe:
      past = x <= t.value;
      break;
  }
  const std::string shown =
      t.relative ? (std::isinf(x) ? (x > 0 ? "+inf%" : "-inf%") : fmt::format("{:+.2f}%", 100 * x))
                 : fmt::format("{}{}", x > 0 ? "+" : "", fmt_num(x));
  r.triggered = past && c.diff.significant;
  r.detail =
      fmt::format("delta {} ({})", shown, c.diff.significant ? "significant" : "not significant");
  return r;
}

std::string fmt_num(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  const double av = std::fabs(v);
  if (av >= 1e7 || av < 1e-3) return fmt::format("{:.3e}", v);
  if (av >= 1e4) return fmt::format("{:.0f}", v);
  if (av >= 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.4g}", v);
}

std::string format_comparison(const std::vector<MetricComparison>& rows) {
  std::string out = fmt::format("{:<28} {:>30} {:>30} {:>11} {:>9}  {}\n", "metric",
                                "A mean [95% CI]", "B mean [95% CI]", "delta", "delta%", "verdict");
  auto side = [](const Describe& d) {
    if (d.n == 0) return std::string("n/a");
    return fmt::format("{} [{}, {}]", fmt_num(d.mean), fmt_num(d.ci_lo), fmt_num(d.ci_hi));
  };
  for (const auto& c : rows) {
    const auto& def = metric_defs()[static_cast<std::size_t>(c.metric)];
    std::string delta = "n/a", rel = "n/a";
    if (!c.na) {
      delta = fmt::format("{}{}", c.diff.delta > 0 ? "+" : "", fmt_num(c.diff.delta));
      rel = std::isinf(c.rel_delta) ? (c.rel_delta > 0 ? "+inf%" : "-inf%")
            : c.a.mean == 0         ? "0%"
                                    : fmt::format("{:+.1f}%", 100 * c.rel_delta);
    }
    std::string verdict = c.verdict == "same" ? "no significant difference" : c.verdict;
    out += fmt::format("{:<28} {:>30} {:>30} {:>11} {:>9}  {}\n", def.name, side(c.a), side(c.b),
                       delta, rel, verdict);
  }
  return out;
}

nlohmann::json comparison_json(const MetricComparison& c) {
  using nlohmann::json;
  const auto& def = metric_defs()[static_cast<std::size_t>(c.metric)];
  auto side = [](const Describe& d) -> json {
    if (d.n == 0) return nullptr;
    return json{{"n", d.n}, {"mean", d.mean}, {"sd", d.sd}, {"ci95", {d.ci_lo, d.ci_hi}}};
  };
  json j{{"metric", def.name}, {"unit", def.unit}, {"higher_is_better", def.higher_is_better},
         {"a", side(c.a)},     {"b", side(c.b)},   {"verdict", c.verdict}};
  if (c.na) {
    j["delta"] = nullptr;
  } else {
    j["delta"] = c.diff.delta;
    j["delta_ci95"] = {c.diff.lo, c.diff.hi};
    j["delta_rel"] = std::isfinite(c.rel_delta) ? json(c.rel_delta) : json(nullptr);
    j["significant"] = c.diff.significant;
    j["cis_overlap"] = c.cis_overlap;
  }
  return j;
}

}  // namespace ts::analysis
