#include "analysis/html_report.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "analysis/compare.h"
#include "analysis/metrics.h"
#include "analysis/report_charts.h"
#include "analysis/summary.h"
#include "common/file_marks.h"
#include "common/time.h"
#include "scenario/scenario.h"
#include "store/sqlite.h"

namespace ts::analysis {
namespace {

Result<sql::Statement> query(sqlite3* db, const std::string& sql) {
  auto s = sql::Statement::prepare(db, sql);
  if (!s) return Error{"report query failed: " + s.error().message};
  return s;
}

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

bool has_table(sqlite3* db, const std::string& name) {
  auto q = query(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='" + name + "'");
  return q && q->next();
}

std::string pair_colour(const std::string& d, const std::string& l) {
  if (d == "pre-fix" && l == "pre-fix") return "#d62728";
  if (d == "post-fix" && l == "post-fix") return "#2ca02c";
  if (d == "pre-fix" && l == "post-fix") return "#ff7f0e";
  if (d == "post-fix" && l == "pre-fix") return "#9467bd";
  static const char* extra[] = {"#1f77b4", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::size_t h = 0;
  for (char c : d + ">" + l)
    h = h * 131 + static_cast<unsigned char>(c);
  return extra[h % 6];
}
const char* side_colour(const std::string& side) {
  return side == "A" ? "#d62728" : "#1f77b4";
}

struct Conn {
  std::uint32_t dialer, listener;
  std::string dv, lv;
  SimTime t0, t1;
};

struct FaultRow {
  std::int64_t id;
  std::string kind, targets, params, source;
  SimTime start, end;  // end = run end when open-ended
  bool open_ended;
};

Result<std::vector<Conn>> established(sqlite3* db, std::int64_t run, SimTime end) {
  auto q = query(
      db, fmt::format("SELECT dialer, listener, dialer_version, listener_version, t_connect_ns, "
                      "COALESCE(t_closed_dialer_ns, {}) FROM connections WHERE run_id={} AND "
                      "t_connect_ns IS NOT NULL ORDER BY t_connect_ns, conn_id",
                      end, run));
  if (!q) return q.error();
  std::vector<Conn> out;
  while (q->next()) {
    const auto& s = *q;
    out.push_back({static_cast<std::uint32_t>(s.int64(0)), static_cast<std::uint32_t>(s.int64(1)),
                   s.text(2), s.text(3), s.int64(4), s.int64(5)});
  }
  return out;
}

Result<std::vector<FaultRow>> faults_of(sqlite3* db, std::int64_t run, SimTime end) {
  std::vector<FaultRow> out;
  if (!has_table(db, "faults")) return out;
  auto q = query(
      db,
      fmt::format("SELECT fault_id, kind, targets, params, source, start_ns, end_ns FROM faults "
                  "WHERE run_id={} ORDER BY start_ns, fault_id",
                  run));
  if (!q) return q.error();
  while (q->next()) {
    const auto& s = *q;
    const bool open = s.is_null(6);
    out.push_back({s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.int64(5),
                   open ? end : s.int64(6), open});
  }
  return out;
}

bool has_column(sqlite3* db, const std::string& table, const std::string& column) {
  auto q =
      query(db, "SELECT 1 FROM pragma_table_info('" + table + "') WHERE name='" + column + "'");
  return q && q->next();
}

using Heights = std::map<std::string, std::vector<std::pair<SimTime, std::int64_t>>>;

// Block heights per node name from a `blocks` (or `samples`) table with node, height and a
// time column (t_committed_ns, t_finalized_ns or t_ns); empty without one.
Result<Heights> block_heights(sqlite3* db, std::int64_t run) {
  for (const char* table : {"blocks", "samples"}) {
    if (!has_column(db, table, "height") || !has_column(db, table, "run_id") ||
        !has_column(db, table, "node"))
      continue;
    std::string tcol;
    for (const char* c : {"t_committed_ns", "t_finalized_ns", "t_ns"})
      if (tcol.empty() && has_column(db, table, c)) tcol = c;
    if (tcol.empty()) continue;
    auto q =
        query(db, fmt::format("SELECT COALESCE(n.name, b.node), b.{0}, b.height FROM {1} b "
                              "LEFT JOIN nodes n ON n.run_id=b.run_id AND n.node_id=b.node "
                              "WHERE b.run_id={2} AND b.{0} IS NOT NULL ORDER BY b.node, b.{0}",
                              tcol, table, run));
    if (!q) return q.error();
    Heights out;
    while (q->next())
      out[q->text(0)].push_back({q->int64(1), q->int64(2)});
    if (!out.empty()) return out;
  }
  return Heights{};
}

std::vector<ChartFault> chart_faults(const std::vector<FaultRow>& faults) {
  std::vector<ChartFault> out;
  for (const auto& f : faults)
    out.push_back({f.id, f.kind, f.targets, f.start, f.end});
  return out;
}

// The per-link timeline of one run: the first kMaxTimelineRows links (by dialer, listener).
nlohmann::json timeline_chart(const sim::RunSummary& s, const std::vector<Conn>& conns,
                              const std::vector<FaultRow>& faults, const std::string& title) {
  constexpr std::size_t kMaxTimelineRows = 60;
  const std::size_t rows = std::min(s.links.size(), kMaxTimelineRows);
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> row_of;
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < rows; ++i) {
    const auto& l = s.links[i];
    labels.push_back(l.dialer_name + " → " + l.listener_name);
    row_of[{l.dialer, l.listener}] = labels.back();
  }
  std::vector<ChartConn> bars;
  std::map<std::string, std::string> colours;
  for (const auto& c : conns) {
    auto it = row_of.find({c.dialer, c.listener});
    if (it == row_of.end()) continue;
    const std::string pair = c.dv + " → " + c.lv;
    colours[pair] = pair_colour(c.dv, c.lv);
    bars.push_back({it->second, pair, c.t0, c.t1});
  }
  const std::string t =
      s.links.size() > kMaxTimelineRows
          ? fmt::format("{} (first {} of {} links)", title, kMaxTimelineRows, s.links.size())
          : title;
  return timeline_spec(t, labels, std::move(bars), colours, chart_faults(faults),
                       std::max<Duration>(s.duration_ns, 1));
}

Duration churn_bin(Duration end) {
  return end >= 2 * kHour ? 10 * kMinute : end >= 20 * kMinute ? 5 * kMinute : kMinute;
}

// Adds the run's established connections to per-bin per-link-hour counts (divided later).
void add_churn(std::vector<double>& bins, const std::vector<Conn>& conns, std::size_t links,
               Duration bin, const std::string& dv = "", const std::string& lv = "") {
  for (const auto& c : conns) {
    if (!dv.empty() && (c.dv != dv || c.lv != lv)) continue;
    const auto i = std::min<std::size_t>(static_cast<std::size_t>(c.t0 / bin), bins.size() - 1);
    bins[i] += 1.0 / static_cast<double>(std::max<std::size_t>(links, 1)) *
               static_cast<double>(kHour) / static_cast<double>(bin);
  }
}

std::string fmt_dur(Duration d) {
  return d < 0 ? "-" : sim::format_duration(d);
}

const char* kStyle = R"css(
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
h3 { font-size: 15px; }
div.wide { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
th { background: #f0f0f0; } td.l, th.l { text-align: left; }
.better { color: #1a7f1a; font-weight: bold; } .worse { color: #b00; font-weight: bold; }
.na { color: #888; } .note { color: #555; font-size: 12px; }
figure { margin: 10px 0 24px; }
div.vega-chart { min-height: 60px; }
)css";

std::string metric_value(const std::optional<double>& v) {
  return v ? fmt_num(*v) : "n/a";
}

// The report, section by section, into `h`. Run summaries are computed once each.
class ReportWriter {
 public:
  using Sides = std::map<std::string, std::pair<std::string, std::vector<std::int64_t>>>;
  explicit ReportWriter(sqlite3* db) : db_(db) {}

  std::string h;

  // The comparison table of sides A and B (`timesim compare` DBs), and its charts.
  Result<bool> comparison(const std::vector<RunMetrics>& metrics, Sides& sides);
  // Every run with its metrics (the first kMaxRunRows).
  Result<bool> runs_table(const std::vector<RunMetrics>& metrics);
  // One run in detail: tables per version pair, link and fault; timeline, CDF, churn, blocks.
  Result<bool> run_detail(std::int64_t run);

 private:
  Result<const sim::RunSummary*> summary_of(std::int64_t id) {
    auto it = summaries_.find(id);
    if (it == summaries_.end()) {
      auto s = sim::summarize(db_, id);
      if (!s) return s.error();
      it = summaries_.emplace(id, std::move(*s)).first;
    }
    return &it->second;
  }
  Result<bool> comparison_charts(Sides& sides);
  Result<bool> run_tables(const sim::RunSummary& s, const std::vector<FaultRow>& faults);
  Result<bool> run_charts(std::int64_t run, const sim::RunSummary& s,
                          const std::vector<Conn>& conns, const std::vector<FaultRow>& faults);

  sqlite3* db_;
  std::map<std::int64_t, sim::RunSummary> summaries_;
};

Result<bool> ReportWriter::comparison(const std::vector<RunMetrics>& metrics, Sides& sides) {
  std::vector<RunMetrics> a, b;
  for (const auto& m : metrics) {
    const auto& ra = sides["A"].second;
    if (std::find(ra.begin(), ra.end(), m.run_id) != ra.end())
      a.push_back(m);
    else
      b.push_back(m);
  }
  h += "<h2 id=\"comparison\">Comparison</h2>\n";
  h += "<p>A: <b>" + html_escape(sides["A"].first) + "</b> (" + std::to_string(a.size()) +
       " runs) · B: <b>" + html_escape(sides["B"].first) + "</b> (" + std::to_string(b.size()) +
       " runs). Mean and 95 % confidence interval (Student t) per side; delta = B − A with "
       "Welch's "
       "interval; a verdict needs the interval to exclude 0 and a change of at least 1 % of "
       "A.</p>\n";
  h += "<table id=\"comparison-table\"><tr><th class=\"l\">metric</th><th>A mean</th><th>A 95% "
       "CI</th>"
       "<th>B mean</th><th>B 95% CI</th><th>delta</th><th>delta %</th><th "
       "class=\"l\">verdict</th></tr>\n";
  for (const auto& c : compare_runs(a, b)) {
    const auto& def = metric_defs()[static_cast<std::size_t>(c.metric)];
    auto ci = [](const Describe& d) {
      return d.n ? fmt::format("[{}, {}]", fmt_num(d.ci_lo), fmt_num(d.ci_hi)) : std::string("n/a");
    };
    const std::string cls = c.verdict == "better"  ? "better"
                            : c.verdict == "worse" ? "worse"
                                                   : "na";
    h += fmt::format(
        "<tr><td "
        "class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td class=\"l {}\">{}</td></tr>\n",
        def.name, c.a.n ? fmt_num(c.a.mean) : "n/a", ci(c.a), c.b.n ? fmt_num(c.b.mean) : "n/a",
        ci(c.b), c.na ? "n/a" : fmt_num(c.diff.delta),
        c.na || !std::isfinite(c.rel_delta) ? "n/a" : fmt::format("{:+.1f}%", 100 * c.rel_delta),
        cls, c.verdict == "same" ? "no significant difference" : c.verdict);
  }
  h += "</table>\n";
  return comparison_charts(sides);
}

Result<bool> ReportWriter::comparison_charts(Sides& sides) {
  auto* db = db_;
  std::vector<ChartSeries> cdf;
  std::vector<ChartSeries> churn;
  Duration end = 0;
  std::vector<FaultRow> all_faults;
  for (const char* side : {"A", "B"}) {
    ChartSeries s{std::string(side) + ": " + sides[side].first, side_colour(side), {}};
    ChartSeries cs{s.label + " (mean of runs)", s.colour, {}};
    const auto& runs = sides[side].second;
    for (auto id : runs) {
      auto sum_r = summary_of(id);
      if (!sum_r) return sum_r.error();
      const sim::RunSummary* sum = *sum_r;
      end = std::max(end, sum->duration_ns);
    }
    const Duration bin = churn_bin(end);
    cs.values.assign(static_cast<std::size_t>((end + bin - 1) / bin), 0.0);
    for (auto id : runs) {
      auto sum_r = summary_of(id);
      if (!sum_r) return sum_r.error();
      const sim::RunSummary* sum = *sum_r;
      auto conns = established(db, id, sum->duration_ns);
      if (!conns) return conns.error();
      for (const auto& c : *conns)
        s.values.push_back(static_cast<double>(c.t1 - c.t0) / 1e9);
      add_churn(cs.values, *conns, sum->links.size(), bin);
      if (id == runs.front()) {
        auto f = faults_of(db, id, sum->duration_ns);
        if (!f) return f.error();
        all_faults.insert(all_faults.end(), f->begin(), f->end());
      }
    }
    for (auto& v : cs.values)
      v /= static_cast<double>(std::max<std::size_t>(runs.size(), 1));
    cdf.push_back(std::move(s));
    churn.push_back(std::move(cs));
  }
  h += chart_figure("chart-cdf", cdf_spec("connection lifetime CDF: A vs B (all runs)", cdf));
  h += chart_figure("chart-churn",
                    churn_spec("churn over time: A vs B", churn, churn_bin(end), end,
                               chart_faults(all_faults), "connections per link-hour"));
  for (const char* side : {"A", "B"}) {
    const auto id = sides[side].second.front();
    auto sum_r = summary_of(id);
    if (!sum_r) return sum_r.error();
    const sim::RunSummary* sum = *sum_r;
    auto conns = established(db, id, sum->duration_ns);
    if (!conns) return conns.error();
    auto f = faults_of(db, id, sum->duration_ns);
    if (!f) return f.error();
    h += chart_figure("chart-timeline-" + std::string(side),
                      timeline_chart(*sum, *conns, *f,
                                     fmt::format("{}: {} — connections per link (run {}, seed {})",
                                                 side, sides[side].first, id, sum->seed)));
  }
  return true;
}

Result<bool> ReportWriter::runs_table(const std::vector<RunMetrics>& metrics) {
  h +=
      "<h2 id=\"runs\">Runs</h2>\n<div class=\"wide\"><table id=\"runs-table\"><tr><th>run</th><th "
      "class=\"l\">scenario</th><th>seed</th>"
      "<th>duration</th><th class=\"l\">status</th><th>events</th><th class=\"l\">fingerprint</th>";
  for (const auto& d : metric_defs())
    h += "<th>" + std::string(d.name) + "</th>";
  h += "</tr>\n";
  constexpr std::size_t kMaxRunRows = 200;
  for (std::size_t i = 0; i < metrics.size() && i < kMaxRunRows; ++i) {
    const auto& m = metrics[i];
    auto sum_r = summary_of(m.run_id);
    if (!sum_r) return sum_r.error();
    const sim::RunSummary* sum = *sum_r;
    h += fmt::format(
        "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td "
        "class=\"l\">{}</td><td>{}</td>"
        "<td class=\"l\"><code>{}</code></td>",
        m.run_id, html_escape(m.scenario), m.seed, fmt_dur(sum->duration_ns),
        html_escape(sum->status), sum->events, html_escape(m.fingerprint));
    for (const auto& v : m.values)
      h += "<td>" + metric_value(v) + "</td>";
    h += "</tr>\n";
  }
  h += "</table></div>\n";
  if (metrics.size() > kMaxRunRows)
    h += fmt::format("<p class=\"note\">{} more runs not listed.</p>\n",
                     metrics.size() - kMaxRunRows);

  return true;
}

Result<bool> ReportWriter::run_detail(std::int64_t run) {
  auto s_r = summary_of(run);
  if (!s_r) return s_r.error();
  const sim::RunSummary* s = *s_r;
  auto conns = established(db_, run, s->duration_ns);
  if (!conns) return conns.error();
  auto faults = faults_of(db_, run, s->duration_ns);
  if (!faults) return faults.error();
  if (auto r = run_tables(*s, *faults); !r) return r;
  return run_charts(run, *s, *conns, *faults);
}

Result<bool> ReportWriter::run_tables(const sim::RunSummary& s,
                                      const std::vector<FaultRow>& faults) {
  h += fmt::format("<h2 id=\"run-detail\">Run {}: {} (seed {}, {})</h2>\n", s.run_id,
                   html_escape(s.scenario), s.seed, fmt_dur(s.duration_ns));
  h += fmt::format(
      "<p>{} nodes · {} links: {} cycling, {} stable, {} flapping, {} down · {} connections · {} "
      "protocol errors</p>\n",
      s.nodes, s.links.size(), s.cycling, s.stable, s.flapping, s.down, s.connections,
      s.protocol_errors);
  h += "<h3>Per version pair</h3>\n<table id=\"pairs-table\"><tr><th class=\"l\">dialer → "
       "listener</th><th>links</th>"
       "<th>cycling</th><th>stable</th><th>flapping</th><th>down</th><th>connections</th><th>conn/"
       "link/h</th>"
       "<th>median lifetime</th><th>up</th><th>protocol errors</th></tr>\n";
  for (const auto& p : s.pairs)
    h += fmt::format(
        "<tr><td class=\"l\">{} → "
        "{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{:.1f}</td><td>{}</td><td>{:.1f}%</td><td>{}</td></tr>\n",
        html_escape(p.dialer_version), html_escape(p.listener_version), p.links, p.cycling,
        p.stable, p.flapping, p.down, p.connections, p.connections_per_link_hour,
        fmt_dur(p.median_lifetime_ns), 100 * p.up_fraction, p.protocol_errors);
  h += "</table>\n<h3>Per link</h3>\n<table id=\"links-table\"><tr><th class=\"l\">link</th><th "
       "class=\"l\">versions</th>"
       "<th>connections</th><th>conn/h</th><th>median lifetime</th><th>up</th><th>redial gap</th>"
       "<th class=\"l\">main close reason</th><th class=\"l\">class</th></tr>\n";
  for (const auto& l : s.links)
    h += fmt::format(
        "<tr><td class=\"l\">{} → {}</td><td class=\"l\">{} → "
        "{}</td><td>{}</td><td>{:.1f}</td><td>{}</td>"
        "<td>{:.1f}%</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>\n",
        html_escape(l.dialer_name), html_escape(l.listener_name), html_escape(l.dialer_version),
        html_escape(l.listener_version), l.connections, l.connections_per_hour,
        fmt_dur(l.median_lifetime_ns), 100 * l.up_fraction, fmt_dur(l.median_redial_gap_ns),
        html_escape(l.main_close_reason), html_escape(l.link_class));
  h += "</table>\n";
  if (!faults.empty()) {
    h += "<h3>Faults</h3>\n<table id=\"faults-table\"><tr><th>id</th><th class=\"l\">kind</th><th "
         "class=\"l\">targets"
         "</th><th>start</th><th>end</th><th class=\"l\">parameters</th><th "
         "class=\"l\">source</th></tr>\n";
    for (const auto& f : faults)
      h += fmt::format(
          "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td>"
          "<td class=\"l\">{}</td><td class=\"l\">{}</td></tr>\n",
          f.id, html_escape(f.kind), html_escape(f.targets), fmt_dur(f.start),
          f.open_ended ? "-" : fmt_dur(f.end), html_escape(f.params), html_escape(f.source));
    h += "</table>\n";
  }
  return true;
}

Result<bool> ReportWriter::run_charts(std::int64_t run, const sim::RunSummary& s,
                                      const std::vector<Conn>& conns,
                                      const std::vector<FaultRow>& faults) {
  h += chart_figure(
      "chart-timeline",
      timeline_chart(s, conns, faults,
                     fmt::format("connections per link (run {}, seed {})", run, s.seed)));
  std::vector<ChartSeries> cdf;
  std::vector<ChartSeries> churn;
  const Duration bin = churn_bin(s.duration_ns);
  for (const auto& p : s.pairs) {
    ChartSeries ser{p.dialer_version + " → " + p.listener_version,
                    pair_colour(p.dialer_version, p.listener_version),
                    {}};
    ChartSeries cs{
        ser.label, ser.colour,
        std::vector<double>(static_cast<std::size_t>((s.duration_ns + bin - 1) / bin), 0.0)};
    for (const auto& c : conns)
      if (c.dv == p.dialer_version && c.lv == p.listener_version)
        ser.values.push_back(static_cast<double>(c.t1 - c.t0) / 1e9);
    // Per hour, not per link: upgrades move connections between version pairs mid-run.
    add_churn(cs.values, conns, 1, bin, p.dialer_version, p.listener_version);
    cdf.push_back(std::move(ser));
    churn.push_back(std::move(cs));
  }
  h += chart_figure("chart-run-cdf", cdf_spec("connection lifetime CDF per version pair", cdf));
  h += chart_figure(
      "chart-run-churn",
      churn_spec("churn over time per version pair (version at dial time)", churn, bin,
                 s.duration_ns, chart_faults(faults), "connections established per hour"));
  auto heights = block_heights(db_, run);
  if (!heights) return heights.error();
  if (!heights->empty())
    h += chart_figure("chart-blocks",
                      blocks_spec(fmt::format("block height over time (run {})", run), *heights,
                                  s.duration_ns, chart_faults(faults)));
  return true;
}

}  // namespace

Result<std::string> render_html_report(sqlite3* db, const std::string& source_name) {
  auto ids = list_runs(db);
  if (!ids) return Error{"not a timesim results DB: " + ids.error().message};
  if (ids->empty()) return Error{"the results DB holds no run"};
  ReportWriter w(db);
  std::string& h = w.h;
  h += "<!DOCTYPE html>\n";
  h += kReportMarker;  // lets `timesim report -o` recognise its own output (common/file_marks.h)
  h += "\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>timesim report: " + html_escape(source_name) + "</title>\n<style>" + kStyle +
       "</style></head>\n<body>\n";
  h += "<h1>timesim report</h1>\n<p class=\"note\">Source: <code>" + html_escape(source_name) +
       "</code> · " + std::to_string(ids->size()) +
       " run(s). Everything below is computed from the results DB alone.</p>\n";

  // Metrics of every run.
  std::vector<RunMetrics> metrics;
  for (auto id : *ids) {
    auto m = compute_metrics(db, id);
    if (!m) return m.error();
    metrics.push_back(std::move(*m));
  }

  // Compare DB: sides.
  ReportWriter::Sides sides;
  if (has_table(db, "compare_runs")) {
    auto q = query(db, "SELECT run_id, side, label FROM compare_runs ORDER BY run_id");
    if (!q) return q.error();
    while (q->next()) {
      auto& s = sides[q->text(1)];
      s.first = q->text(2);
      s.second.push_back(q->int64(0));
    }
  }
  if (sides.count("A") && sides.count("B")) {
    if (auto r = w.comparison(metrics, sides); !r) return r.error();
  }
  if (auto r = w.runs_table(metrics); !r) return r.error();
  if (auto r = w.run_detail(ids->front()); !r) return r.error();
  h +=
      "<p class=\"note\">Metric definitions: docs/metrics.md. Generated by timesim " TIMESIM_VERSION
      ".</p>\n";
  h += chart_scripts();
  h += "</body></html>\n";
  return h;
}

}  // namespace ts::analysis
