// SvgPlot: a tiny inline-SVG chart builder for the self-contained HTML report (no scripts,
// no network, no fonts beyond the browser's sans-serif). Data coordinates map to pixels
// through linear or log10 axes; the result is one <svg> element as text.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ts::analysis {

struct PlotAxis {
  double lo = 0, hi = 1;  // REQUIRES lo < hi; for log axes lo > 0
  bool log = false;
  std::string label;
};

class SvgPlot {
 public:
  // `left` etc. are the margins in px around the plotting area.
  SvgPlot(int width, int height, PlotAxis x, PlotAxis y, int left = 70, int right = 20,
          int top = 44, int bottom = 45);

  double px(double x) const;  // data -> pixel
  double py(double y) const;
  int plot_left() const { return left_; }
  int plot_right() const { return width_ - right_; }
  int plot_top() const { return top_; }
  int plot_bottom() const { return height_ - bottom_; }

  void title(const std::string& text);
  // Grid, tick labels and axis labels. `y_ticks` false leaves the y axis unlabelled (for
  // categorical rows drawn with row_label).
  void axes(bool y_ticks = true);
  void row_label(double y, const std::string& text);
  void polyline(const std::vector<std::pair<double, double>>& pts, const std::string& colour,
                double width = 1.8, const std::string& dash = "");
  void markers(const std::vector<std::pair<double, double>>& pts, const std::string& colour);
  // A filled rectangle in data coordinates, at least `min_px` wide.
  void rect(double x0, double x1, double y0, double y1, const std::string& colour,
            double opacity = 1.0, double min_px = 0.0);
  // A one-line legend (label, colour) between the title and the plot area.
  void legend(const std::vector<std::pair<std::string, std::string>>& entries);
  std::string str() const;

 private:
  std::vector<double> ticks(const PlotAxis& a) const;
  int width_, height_, left_, right_, top_, bottom_;
  PlotAxis x_, y_;
  std::string body_;
};

std::string html_escape(const std::string& s);

}  // namespace ts::analysis
