#include "analysis/report_charts.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace ts::analysis {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v5.json";
constexpr const char* kFaultColour = "#7f7f7f";
constexpr int kWidth = 900;  // px of the plotting area

// Minutes of virtual time, rounded to 0.1 ms so the spec stays short.
double minutes(SimTime t) {
  return std::round(static_cast<double>(t) / kMinute * 6e5) / 6e5;
}

double round6(double v) {
  return v == 0 ? 0 : std::round(v * 1e6) / 1e6;
}

// Zoom and pan on the x axis: drag, wheel; double-click resets.
json x_zoom() {
  return json::array({{{"name", "zoom"},
                       {"select", {{"type", "interval"}, {"encodings", {"x"}}}},
                       {"bind", "scales"}}});
}

json colour_scale(const std::vector<std::string>& domain, const std::vector<std::string>& range) {
  return {{"domain", domain}, {"range", range}};
}

// Grey bands (a line for one-shot faults) over the whole height, with a legend entry
// "fault window" and a tooltip naming the fault.
json fault_layer(const std::vector<ChartFault>& faults, const std::string& x_title) {
  json rows = json::array();
  for (const auto& f : faults)
    rows.push_back({{"id", f.id},
                    {"kind", f.kind},
                    {"targets", f.targets},
                    {"a", minutes(f.start)},
                    {"b", minutes(f.end)},
                    {"label", "fault window"}});
  return {
      {"data", {{"values", rows}}},
      {"mark",
       {{"type", "rect"},
        {"opacity", 0.18},
        {"stroke", kFaultColour},
        {"strokeOpacity", 0.7},
        {"strokeWidth", 1}}},
      {"encoding",
       {{"x", {{"field", "a"}, {"type", "quantitative"}, {"title", x_title}}},
        {"x2", {{"field", "b"}}},
        {"color",
         {{"field", "label"},
          {"type", "nominal"},
          {"scale", colour_scale({"fault window"}, {kFaultColour})},
          {"legend", {{"title", "faults"}}}}},
        {"tooltip", json::array({{{"field", "id"}, {"title", "fault"}},
                                 {{"field", "kind"}},
                                 {{"field", "targets"}},
                                 {{"field", "a"}, {"title", "start (min)"}, {"format", ".2f"}},
                                 {{"field", "b"}, {"title", "end (min)"}, {"format", ".2f"}}})}}}};
}

// The chart: `main` under the fault windows (when there are any); colour scales apart.
json layered(const std::string& title, json main, const std::vector<ChartFault>& faults,
             const std::string& x_title) {
  json spec = {{"$schema", kSchema}, {"title", title}, {"width", kWidth}};
  json layers = json::array();
  if (!faults.empty()) layers.push_back(fault_layer(faults, x_title));
  layers.push_back(std::move(main));
  spec["layer"] = std::move(layers);
  spec["resolve"] = {{"scale", {{"color", "independent"}}}};
  return spec;
}

// Merges bars of the same row and pair that start within `gap` of the previous one's end.
std::vector<ChartConn> merge_close(std::vector<ChartConn> conns, Duration gap) {
  std::sort(conns.begin(), conns.end(), [](const ChartConn& a, const ChartConn& b) {
    return std::tie(a.row, a.pair, a.t0, a.t1) < std::tie(b.row, b.pair, b.t0, b.t1);
  });
  std::vector<ChartConn> out;
  for (auto& c : conns) {
    if (!out.empty() && out.back().row == c.row && out.back().pair == c.pair &&
        c.t0 <= out.back().t1 + gap) {
      out.back().t1 = std::max(out.back().t1, c.t1);
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

json timeline_spec(const std::string& title, const std::vector<std::string>& rows,
                   std::vector<ChartConn> conns,
                   const std::map<std::string, std::string>& pair_colours,
                   const std::vector<ChartFault>& faults, Duration end) {
  const bool merged = conns.size() > kMaxTimelineBars;
  if (merged) conns = merge_close(std::move(conns), std::max<Duration>(end / 1000, 1));
  json bars = json::array();
  for (const auto& c : conns)
    bars.push_back({{"row", c.row},
                    {"pair", c.pair},
                    {"t0", minutes(c.t0)},
                    {"t1", minutes(c.t1)},
                    {"life_s", round6(static_cast<double>(c.t1 - c.t0) / kSecond)}});
  std::vector<std::string> domain, range;
  for (const auto& [pair, colour] : pair_colours)
    domain.push_back(pair), range.push_back(colour);
  const std::string x_title = "virtual time (minutes)";
  json main = {
      {"data", {{"values", bars}}},
      {"mark", {{"type", "bar"}, {"height", {{"band", 0.7}}}, {"strokeWidth", 0.6}}},
      {"params", x_zoom()},
      {"encoding",
       {{"x",
         {{"field", "t0"},
          {"type", "quantitative"},
          {"title", x_title},
          {"scale", {{"domain", {0, minutes(std::max<Duration>(end, 1))}}}}}},
        {"x2", {{"field", "t1"}}},
        {"y",
         {{"field", "row"},
          {"type", "nominal"},
          {"title", nullptr},
          {"sort", rows},
          {"axis", {{"labelLimit", 320}}}}},
        {"color",
         {{"field", "pair"},
          {"type", "nominal"},
          {"title", "dialer → listener"},
          {"scale", colour_scale(domain, range)}}},
        {"stroke",
         {{"field", "pair"},
          {"type", "nominal"},
          {"scale", colour_scale(domain, range)},
          {"legend", nullptr}}},
        {"tooltip", json::array({{{"field", "row"}, {"title", "link"}},
                                 {{"field", "pair"}, {"title", "versions"}},
                                 {{"field", "t0"}, {"title", "connected (min)"}, {"format", ".3f"}},
                                 {{"field", "t1"}, {"title", "closed (min)"}, {"format", ".3f"}},
                                 {{"field", "life_s"},
                                  {"title", merged ? "span (s)" : "lifetime (s)"},
                                  {"format", ".3f"}}})}}}};
  json spec = layered(title, std::move(main), faults, x_title);
  spec["height"] = {{"step", 18}};
  if (merged)
    spec["title"] = {{"text", title},
                     {"subtitle", "bars closer than 1/1000 of the run are merged"}};
  return spec;
}

json cdf_spec(const std::string& title, std::vector<ChartSeries> series) {
  json pts = json::array();
  std::vector<std::string> domain, range;
  for (auto& s : series) {
    if (s.values.empty()) continue;
    std::sort(s.values.begin(), s.values.end());
    const std::size_t n = s.values.size();
    const std::string label = s.label + " (n=" + std::to_string(n) + ")";
    domain.push_back(label), range.push_back(s.colour);
    // Log axis: lifetimes under 1 ms are drawn at 1 ms.
    auto x = [&](std::size_t i) { return round6(std::max(s.values[i], 1e-3)); };
    pts.push_back({{"series", label}, {"x", x(0)}, {"y", 0.0}});
    const std::size_t step = std::max<std::size_t>(1, n / 500);  // at most ~500 steps
    for (std::size_t i = 0; i < n; i += step) {
      const std::size_t j = std::min(n - 1, i + step - 1);
      pts.push_back({{"series", label},
                     {"x", x(j)},
                     {"y", round6(static_cast<double>(j + 1) / static_cast<double>(n))}});
    }
  }
  const std::string x_title =
      "connection lifetime (s, log scale; open connections end at the run end)";
  json main = {
      {"data", {{"values", pts}}},
      {"mark", {{"type", "line"}, {"interpolate", "step-after"}, {"strokeWidth", 2}}},
      {"params", x_zoom()},
      {"encoding",
       {{"x",
         {{"field", "x"},
          {"type", "quantitative"},
          {"title", x_title},
          {"scale", {{"type", "log"}}}}},
        {"y",
         {{"field", "y"},
          {"type", "quantitative"},
          {"title", "fraction of connections ≤ x"},
          {"scale", {{"domain", {0, 1}}}}}},
        {"color",
         {{"field", "series"},
          {"type", "nominal"},
          {"title", nullptr},
          {"scale", colour_scale(domain, range)}}},
        {"tooltip", json::array({{{"field", "series"}},
                                 {{"field", "x"}, {"title", "lifetime (s)"}, {"format", ".3f"}},
                                 {{"field", "y"}, {"title", "fraction ≤"}, {"format", ".3f"}}})}}}};
  json spec = layered(title, std::move(main), {}, x_title);
  spec["height"] = 340;
  return spec;
}

json churn_spec(const std::string& title, const std::vector<ChartSeries>& series, Duration bin,
                Duration end, const std::vector<ChartFault>& faults, const std::string& ylabel) {
  json pts = json::array();
  std::vector<std::string> domain, range;
  for (const auto& s : series) {
    domain.push_back(s.label), range.push_back(s.colour);
    for (std::size_t i = 0; i < s.values.size(); ++i)
      pts.push_back(
          {{"series", s.label},
           {"t", minutes(static_cast<SimTime>((2 * i + 1) * static_cast<std::size_t>(bin) / 2))},
           {"v", round6(s.values[i])}});
  }
  const std::string x_title =
      "virtual time (minutes; " + std::to_string(bin / kMinute) + "-minute bins)";
  json main = {
      {"data", {{"values", pts}}},
      {"mark", {{"type", "line"}, {"point", true}, {"strokeWidth", 1.5}}},
      {"params", x_zoom()},
      {"encoding",
       {{"x",
         {{"field", "t"},
          {"type", "quantitative"},
          {"title", x_title},
          {"scale", {{"domain", {0, minutes(std::max<Duration>(end, 1))}}}}}},
        {"y",
         {{"field", "v"},
          {"type", "quantitative"},
          {"title", ylabel},
          {"scale", {{"type", "symlog"}}}}},
        {"color",
         {{"field", "series"},
          {"type", "nominal"},
          {"title", nullptr},
          {"scale", colour_scale(domain, range)}}},
        {"tooltip", json::array({{{"field", "series"}},
                                 {{"field", "t"}, {"title", "bin middle (min)"}, {"format", ".1f"}},
                                 {{"field", "v"}, {"title", ylabel}, {"format", ".2f"}}})}}}};
  json spec = layered(title, std::move(main), faults, x_title);
  spec["height"] = 300;
  return spec;
}

json blocks_spec(
    const std::string& title,
    const std::map<std::string, std::vector<std::pair<SimTime, std::int64_t>>>& heights,
    Duration end, const std::vector<ChartFault>& faults) {
  json pts = json::array();
  for (const auto& [node, hs] : heights) {
    for (const auto& [t, h] : hs)
      pts.push_back({{"node", node}, {"t", minutes(t)}, {"height", h}});
    if (!hs.empty())  // hold the last height to the end
      pts.push_back({{"node", node},
                     {"t", minutes(std::max(end, hs.back().first))},
                     {"height", hs.back().second}});
  }
  const std::string x_title = "virtual time (minutes)";
  json main = {
      {"data", {{"values", pts}}},
      {"mark", {{"type", "line"}, {"interpolate", "step-after"}}},
      {"params", x_zoom()},
      {"encoding",
       {{"x", {{"field", "t"}, {"type", "quantitative"}, {"title", x_title}}},
        {"y", {{"field", "height"}, {"type", "quantitative"}, {"title", "block height"}}},
        {"color", {{"field", "node"}, {"type", "nominal"}, {"title", "node"}}},
        {"tooltip", json::array({{{"field", "node"}},
                                 {{"field", "t"}, {"title", "time (min)"}, {"format", ".2f"}},
                                 {{"field", "height"}}})}}}};
  json spec = layered(title, std::move(main), faults, x_title);
  spec["height"] = 300;
  return spec;
}

std::string chart_figure(const std::string& id, const nlohmann::json& spec) {
  // '<' only occurs inside JSON strings, where \u003c means the same: no "</script>".
  std::string js;
  for (char c : spec.dump())
    c == '<' ? js += "\\u003c" : js += c;
  return "<figure id=\"" + id + "\"><div class=\"vega-chart\" id=\"" + id +
         "-view\"></div>\n<script type=\"application/json\" class=\"chart-spec\" data-view=\"" +
         id + "-view\">" + js + "</script></figure>\n";
}

std::string chart_scripts() {
  std::string h =
      "<noscript><p class=\"note\">The charts need JavaScript.</p></noscript>\n<script>";
  h += vega_bundle();
  h += "</script>\n<script>\n";
  h += R"js((function () {
  var specs = document.querySelectorAll('script.chart-spec');
  var done = [];
  specs.forEach(function (s) {
    var view = document.getElementById(s.dataset.view);
    done.push(vegaEmbed(view, JSON.parse(s.textContent), {
      mode: 'vega-lite', renderer: 'svg',
      actions: {export: true, source: false, compiled: false, editor: false}
    }).catch(function (e) { view.textContent = 'chart failed: ' + e; throw e; }));
  });
  Promise.all(done).then(function () { document.body.dataset.chartsRendered = specs.length; },
                         function (e) { document.body.dataset.chartsFailed = String(e); });
})();
)js";
  h += "</script>\n";
  return h;
}

}  // namespace ts::analysis
