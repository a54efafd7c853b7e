#include "analysis/svg_plot.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace ts::analysis {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

SvgPlot::SvgPlot(int width, int height, PlotAxis x, PlotAxis y, int left, int right, int top,
                 int bottom)
    : width_(width),
      height_(height),
      left_(left),
      right_(right),
      top_(top),
      bottom_(bottom),
      x_(std::move(x)),
      y_(std::move(y)) {}

namespace {
double frac(const PlotAxis& a, double v) {
  if (a.log) {
    v = std::max(v, a.lo);
    return (std::log10(v) - std::log10(a.lo)) / (std::log10(a.hi) - std::log10(a.lo));
  }
  return (v - a.lo) / (a.hi - a.lo);
}
std::string tick_text(double v) {
  if (v == 0) return "0";
  const double av = std::fabs(v);
  if (av >= 1e4 || av < 1e-2) return fmt::format("{:.0e}", v);
  return fmt::format("{:g}", v);
}
}  // namespace

double SvgPlot::px(double x) const {
  return left_ + frac(x_, x) * (width_ - left_ - right_);
}
double SvgPlot::py(double y) const {
  return height_ - bottom_ - frac(y_, y) * (height_ - top_ - bottom_);
}

std::vector<double> SvgPlot::ticks(const PlotAxis& a) const {
  std::vector<double> out;
  if (a.log) {
    for (double p = std::pow(10.0, std::ceil(std::log10(a.lo))); p <= a.hi * 1.0000001; p *= 10)
      out.push_back(p);
    return out;
  }
  const double span = a.hi - a.lo;
  const double raw = span / 6;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(a.lo / step) * step; v <= a.hi + step * 1e-9; v += step)
    out.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return out;
}

void SvgPlot::title(const std::string& text) {
  body_ += fmt::format(
      "<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" "
      "font-weight=\"bold\">{}</text>\n",
      width_ / 2, html_escape(text));
}

void SvgPlot::axes(bool y_ticks) {
  const int l = plot_left(), r = plot_right(), t = plot_top(), b = plot_bottom();
  for (double v : ticks(x_)) {
    const double x = px(v);
    body_ += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#ddd\"/>\n", x, t, x, b);
    body_ += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>\n", x,
        b + 15, tick_text(v));
  }
  if (y_ticks)
    for (double v : ticks(y_)) {
      const double y = py(v);
      body_ += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", l, y, r, y);
      body_ += fmt::format(
          "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\">{}</text>\n", l - 5,
          y + 4, tick_text(v));
    }
  body_ += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", l, t,
      r - l, b - t);
  body_ +=
      fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n",
                  (l + r) / 2, height_ - 8, html_escape(x_.label));
  if (!y_.label.empty())
    body_ += fmt::format(
        "<text x=\"14\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 "
        "{})\">{}</text>\n",
        (t + b) / 2, (t + b) / 2, html_escape(y_.label));
}

void SvgPlot::row_label(double y, const std::string& text) {
  body_ +=
      fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"10\">{}</text>\n",
                  left_ - 5, py(y) + 3, html_escape(text));
}

void SvgPlot::polyline(const std::vector<std::pair<double, double>>& pts, const std::string& colour,
                       double width, const std::string& dash) {
  if (pts.empty()) return;
  std::string p;
  for (const auto& [x, y] : pts)
    p += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
  body_ +=
      fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{} points=\"{}\"/>\n",
                  colour, width, dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"", p);
}

void SvgPlot::markers(const std::vector<std::pair<double, double>>& pts,
                      const std::string& colour) {
  for (const auto& [x, y] : pts)
    body_ += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>\n", px(x),
                         py(y), colour);
}

void SvgPlot::rect(double x0, double x1, double y0, double y1, const std::string& colour,
                   double opacity, double min_px) {
  double a = px(x0), b = px(x1);
  if (b - a < min_px) b = a + min_px;
  const double top = std::min(py(y0), py(y1)), h = std::fabs(py(y1) - py(y0));
  body_ += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"{}/>\n", a,
      top, b - a, h, colour,
      opacity < 1 ? fmt::format(" fill-opacity=\"{:.2f}\"", opacity) : std::string());
}

void SvgPlot::legend(const std::vector<std::pair<std::string, std::string>>& entries) {
  // One row between the title and the plot (the top margin leaves room): never covers data.
  double x = left_;
  const int y = 26;
  for (const auto& [label, colour] : entries) {
    const double w = 24 + 6.4 * static_cast<double>(label.size());
    if (x + w > width_ - right_ && x > left_) break;  // no room: the rest is dropped
    body_ += fmt::format("<rect x=\"{:.0f}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{}\"/>\n",
                         x, y, colour);
    body_ += fmt::format("<text x=\"{:.0f}\" y=\"{}\" font-size=\"11\">{}</text>\n", x + 18, y + 9,
                         html_escape(label));
    x += w + 12;
  }
}

std::string SvgPlot::str() const {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n{}</svg>\n",
      width_, height_, width_, height_, body_);
}

}  // namespace ts::analysis
