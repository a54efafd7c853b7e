// The HTML report's charts as Vega-Lite specs (https://vega.github.io/vega-lite/), built
// from a run's rows: per-link connection timeline, connection lifetime CDF, churn over
// time. Every time axis shades the run's fault windows. The time axes zoom and pan (drag,
// wheel; double-click resets) and every mark has a tooltip. The report inlines the specs and
// the vendored Vega bundle (third_party/vega), so it stays one self-contained file;
// scripts/charts renders the same specs to SVG/PNG files. Output depends only on the
// arguments (no wall clock); JSON keys are sorted, so equal inputs give equal bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace ts::analysis {

// One established connection on the timeline: its row (link label), version pair label and
// span [t0, t1] (the run end when still open).
struct ChartConn {
  std::string row, pair;
  SimTime t0 = 0, t1 = 0;
};

// A fault window; one-shot faults have start == end.
struct ChartFault {
  std::int64_t id = 0;
  std::string kind, targets;
  SimTime start = 0, end = 0;
};

// A line of a CDF (values: lifetimes in s, any order) or of a churn chart (values: one per
// bin), with its legend label and colour (#rrggbb).
struct ChartSeries {
  std::string label, colour;
  std::vector<double> values;
};

// Timeline: a bar per connection, rows top to bottom in `rows` order, coloured by pair
// (`pair_colours`: label -> colour). Above kMaxTimelineBars bars, bars of a row and pair
// that are closer than a thousandth of the run are merged.
inline constexpr std::size_t kMaxTimelineBars = 20000;
nlohmann::json timeline_spec(const std::string& title, const std::vector<std::string>& rows,
                             std::vector<ChartConn> conns,
                             const std::map<std::string, std::string>& pair_colours,
                             const std::vector<ChartFault>& faults, Duration end);
// Lifetime CDF, log x; each series thinned to at most ~500 steps.
nlohmann::json cdf_spec(const std::string& title, std::vector<ChartSeries> series);
// Churn: one point per `bin`, at the bin's middle, symlog y.
nlohmann::json churn_spec(const std::string& title, const std::vector<ChartSeries>& series,
                          Duration bin, Duration end, const std::vector<ChartFault>& faults,
                          const std::string& ylabel);
// Block height per node (`heights`: node name -> (time, height) in time order), each held to
// the run end; step lines.
nlohmann::json blocks_spec(
    const std::string& title,
    const std::map<std::string, std::vector<std::pair<SimTime, std::int64_t>>>& heights,
    Duration end, const std::vector<ChartFault>& faults);

// A <figure id="ID"> holding the chart's view and its spec (a JSON <script> block).
std::string chart_figure(const std::string& id, const nlohmann::json& spec);
// The inline <script>s that render every figure of chart_figure: the Vega bundle and the
// embedding code. Once per page, after the figures.
std::string chart_scripts();

// The vendored vega, vega-lite and vega-embed bundles, concatenated (generated source).
std::string_view vega_bundle();

}  // namespace ts::analysis
