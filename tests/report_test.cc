// `timesim report` (self-contained HTML with Vega-Lite charts, rendered by headless Chromium
// when installed) and scripts/charts.py (the same charts as PNG files, with node and
// rsvg-convert).
#include <doctest/doctest.h>

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/report_charts.h"
#include "tests/run_cli.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace ts;
using nlohmann::json;

namespace {

std::string topo(const std::string& f) {
  std::string out = "'";
  out += test::source_path("topologies/" + f);
  out += "'";
  return out;
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
    ++n;
  return n;
}

// A results DB with one mixed run and one faulted run, and a compare DB.
struct Fixture {
  fs::path dir;
  Fixture() {
    dir = test::fresh_dir("report");
    REQUIRE(test::timesim("run " + topo("six_nodes.yaml") + " --duration 20m --db run.db -q", dir)
                .exit_code == 0);
    REQUIRE(test::timesim("compare " + topo("six_nodes_prefix.yaml") + " " +
                              topo("six_nodes_postfix_latency_spike.yaml") +
                              " --seeds 2 --duration 40m --db cmp.db",
                          dir)
                .exit_code == 0);
  }
};

// The chart specs of a report, by figure id (analysis/report_charts.h: chart_figure).
std::map<std::string, json> chart_specs(const std::string& html) {
  std::map<std::string, json> out;
  const std::string open = "<script type=\"application/json\" class=\"chart-spec\" data-view=\"";
  for (auto p = html.find(open); p != std::string::npos; p = html.find(open, p + 1)) {
    const auto id_end = html.find('"', p + open.size());
    const std::string view = html.substr(p + open.size(), id_end - p - open.size());
    const auto body = html.find('>', id_end) + 1;
    const auto end = html.find("</script>", body);
    out[view.substr(0, view.size() - std::string("-view").size())] =
        json::parse(html.substr(body, end - body));
  }
  return out;
}

std::int64_t db_int(const fs::path& db, const std::string& sql) {
  const auto h = test::open_read_only(db.string());
  auto s = test::query(h.get(), sql);
  return s.next() ? s.int64(0) : -1;
}

// The layer of a chart spec that draws `field` on x (the fault layer draws "a").
const json* layer_with_x(const json& spec, const std::string& field) {
  for (const auto& l : spec.at("layer"))
    if (l.at("encoding").at("x").at("field") == field) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("report: self-contained HTML with the tables and the runs' data in Vega-Lite charts") {
  Fixture fx;
  for (const char* db : {"run.db", "cmp.db"}) {
    CAPTURE(db);
    auto o = test::timesim(std::string("report ") + db + " -o out.html", fx.dir);
    INFO(o.err);
    REQUIRE(o.exit_code == 0);
    const std::string html = test::slurp(fx.dir / "out.html");
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("id=\"runs-table\"") != std::string::npos);
    CHECK(html.find("id=\"pairs-table\"") != std::string::npos);
    CHECK(html.find("id=\"links-table\"") != std::string::npos);
    // Self-contained: the Vega bundle is inlined whole; outside it, nothing is loaded from
    // elsewhere (the bundle's own code holds such strings).
    const std::string bundle(analysis::vega_bundle());
    const auto at = html.find(bundle);
    REQUIRE(at != std::string::npos);
    const std::string page = html.substr(0, at) + html.substr(at + bundle.size());
    CHECK(page.find("<script src") == std::string::npos);
    CHECK(page.find(" src=") == std::string::npos);
    CHECK(page.find("<img") == std::string::npos);
    CHECK(page.find("<link") == std::string::npos);
    CHECK(page.find("vegaEmbed(") != std::string::npos);

    const auto specs = chart_specs(html);
    REQUIRE(specs.count("chart-timeline"));
    REQUIRE(specs.count("chart-run-cdf"));
    REQUIRE(specs.count("chart-run-churn"));
    // The first run's timeline: one bar per established connection (six nodes: every link
    // shown, far under the merging threshold), each bar's span from the DB.
    const json& tl = specs.at("chart-timeline");
    const json* bars = layer_with_x(tl, "t0");
    REQUIRE(bars);
    const auto& rows = bars->at("data").at("values");
    CHECK(static_cast<std::int64_t>(rows.size()) ==
          db_int(fx.dir / db,
                 "SELECT count(*) FROM connections WHERE run_id=1 AND t_connect_ns IS NOT NULL"));
    const double first_t0 =
        db_int(fx.dir / db, "SELECT min(t_connect_ns) FROM connections WHERE run_id=1") / 60e9;
    double min_t0 = 1e300;
    for (const auto& r : rows)
      min_t0 = std::min(min_t0, r.at("t0").get<double>());
    CHECK(min_t0 == doctest::Approx(first_t0).epsilon(1e-6));
    // Zoom and pan bound to the x scale, tooltips on the bars.
    CHECK(bars->at("params").at(0).at("bind") == "scales");
    CHECK(bars->at("encoding").contains("tooltip"));
    // The CDF has one line per version pair with n = the pair's established connections.
    const auto& cdf = specs.at("chart-run-cdf").at("layer").back().at("encoding").at("color");
    CHECK(cdf.at("scale").at("domain").size() >= 1);
    if (std::string(db) == "cmp.db") {
      CHECK(html.find("id=\"comparison-table\"") != std::string::npos);
      CHECK(html.find("id=\"faults-table\"") == std::string::npos);  // run 1 (pre-fix) has none
      for (const char* id : {"chart-cdf", "chart-churn", "chart-timeline-A", "chart-timeline-B"})
        CHECK(specs.count(id));
      CHECK(layer_with_x(specs.at("chart-timeline-A"), "a") == nullptr);  // A has no fault
      // The spike side (B) has its fault window shaded on every time axis, from the DB.
      const std::string sql_b =
          "SELECT {} FROM faults WHERE run_id=(SELECT min(run_id) FROM compare_runs WHERE "
          "side='B')";
      const double start = db_int(fx.dir / db, fmt::format(fmt::runtime(sql_b), "start_ns")) / 60e9;
      const double end = db_int(fx.dir / db, fmt::format(fmt::runtime(sql_b), "end_ns")) / 60e9;
      CHECK(start == doctest::Approx(20.0));
      for (const char* id : {"chart-churn", "chart-timeline-B"}) {
        CAPTURE(id);
        const json* f = layer_with_x(specs.at(id), "a");
        REQUIRE(f);
        const auto& v = f->at("data").at("values");
        REQUIRE(v.size() == 1);
        CHECK(v[0].at("kind") == "latency");
        CHECK(v[0].at("a").get<double>() == doctest::Approx(start));
        CHECK(v[0].at("b").get<double>() == doctest::Approx(end));
        CHECK(v[0].at("label") == "fault window");
      }
    }
  }
  // The same DB gives the same bytes.
  REQUIRE(test::timesim("report run.db -o again.html", fx.dir).exit_code == 0);
  REQUIRE(test::timesim("report run.db -o out2.html", fx.dir).exit_code == 0);
  CHECK(test::slurp(fx.dir / "again.html") == test::slurp(fx.dir / "out2.html"));
}

TEST_CASE("report charts: timeline bars merge only above the threshold; '<' never ends a script") {
  std::vector<analysis::ChartConn> conns;
  for (std::size_t i = 0; i < analysis::kMaxTimelineBars + 1; ++i)
    conns.push_back({"a → b", "x → y", static_cast<SimTime>(i) * kSecond,
                     static_cast<SimTime>(i) * kSecond + kSecond / 2});
  const auto bars_of = [](const json& spec) {
    return spec.at("layer").back().at("data").at("values").size();
  };
  const Duration end = static_cast<Duration>(analysis::kMaxTimelineBars + 1) * kSecond;
  std::vector<analysis::ChartConn> few(conns.begin(), conns.begin() + 100);
  CHECK(bars_of(analysis::timeline_spec("t", {"a → b"}, few, {{"x → y", "#000000"}}, {}, end)) ==
        100);
  // 0.5 s gaps, merged when closer than end/1000 (~20 s): one bar.
  CHECK(bars_of(analysis::timeline_spec("t", {"a → b"}, conns, {{"x → y", "#000000"}}, {}, end)) ==
        1);
  const std::string fig = analysis::chart_figure(
      "c", analysis::cdf_spec("</script><b>", {{"s", "#000000", {1.0, 2.0}}}));
  CHECK(fig.find("</script><b>") == std::string::npos);
  CHECK(fig.find("\\u003c/script>\\u003cb>") != std::string::npos);
}

TEST_CASE("report: bad input exits 2 and writes nothing") {
  const auto dir = test::fresh_dir("report_bad");
  { std::ofstream(dir / "notdb.db") << "this is not sqlite\n"; }
  for (const char* args :
       {"report missing.db -o x.html", "report notdb.db -o x.html", "report notdb.db"}) {
    CAPTURE(args);
    auto o = test::timesim(args, dir);
    CHECK(o.exit_code == 2);
    CHECK(o.err.rfind("timesim: ", 0) == 0);
    CHECK_FALSE(fs::exists(dir / "x.html"));
  }
}

TEST_CASE("report: headless Chromium renders it (skipped without chromium)") {
  if (!test::have_program("chromium")) {
    MESSAGE("SKIPPED: chromium is not installed (apt-get install chromium)");
    return;
  }
  Fixture fx;
  REQUIRE(test::timesim("report cmp.db -o report.html", fx.dir).exit_code == 0);
  { std::ofstream(fx.dir / "blank.html") << "<!DOCTYPE html><html><body></body></html>\n"; }
  auto chromium = [&](const std::string& what, const std::string& page, const std::string& out) {
    const std::string flags =
        "--headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run "
        "--disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir='" +
        (fx.dir / ("profile-" + out)).string() + "' --window-size=1200,1600 ";
    const std::string cmd = "cd '" + fx.dir.string() + "' && timeout 120 chromium " + flags + what +
                            " 'file://" + (fx.dir / page).string() + "' >'" + out + "' 2>/dev/null";
    return std::system(cmd.c_str());
  };
  // The virtual time budget lets Vega's asynchronous rendering finish before the dump.
  REQUIRE(chromium("--virtual-time-budget=30000 --dump-dom", "report.html", "dom.html") == 0);
  const std::string dom = test::slurp(fx.dir / "dom.html");
  CHECK(dom.find("id=\"comparison-table\"") != std::string::npos);
  CHECK(dom.find("id=\"runs-table\"") != std::string::npos);
  CHECK(dom.find("id=\"links-table\"") != std::string::npos);
  CHECK(dom.find("churn_per_link_hour") != std::string::npos);
  // Every chart rendered by Vega into an SVG, none failed: a compare DB has 8 (A vs B CDF and
  // churn, a timeline per side, and run 1's timeline, CDF, churn and block heights).
  const auto specs = chart_specs(test::slurp(fx.dir / "report.html"));
  CHECK(specs.size() == 8);
  CHECK(dom.find("data-charts-rendered=\"" + std::to_string(specs.size()) + "\"") !=
        std::string::npos);
  CHECK(dom.find("data-charts-failed") == std::string::npos);
  CHECK(count(dom, "class=\"marks\"") == specs.size());
  REQUIRE(chromium("--virtual-time-budget=30000 --screenshot=shot.png", "report.html",
                   "shot.log") == 0);
  REQUIRE(chromium("--screenshot=blank.png", "blank.html", "blank.log") == 0);
  REQUIRE(fs::exists(fx.dir / "shot.png"));
  REQUIRE(fs::exists(fx.dir / "blank.png"));
  const std::string png = test::slurp(fx.dir / "shot.png");
  CHECK(png.rfind("\x89PNG", 0) == 0);
  // A blank page compresses to almost nothing; tables, text and charts do not.
  const auto shot = fs::file_size(fx.dir / "shot.png"), blank = fs::file_size(fx.dir / "blank.png");
  CAPTURE(shot);
  CAPTURE(blank);
  CHECK(shot > 10 * blank);
  CHECK(shot > 50000);
}

// Width and height of a PNG from its IHDR chunk.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png) {
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
      v = v << 8 | static_cast<unsigned char>(png.at(at + i));
    return v;
  };
  return {be32(16), be32(20)};
}

TEST_CASE("charts.py: PNG charts from the DB alone (skipped without node or rsvg-convert)") {
  if (!test::have_program("node") || !test::have_program("rsvg-convert")) {
    MESSAGE("SKIPPED: node or rsvg-convert is not installed (apt-get install nodejs librsvg2-bin)");
    return;
  }
  Fixture fx;
  const std::string env = std::string("TIMESIM_BIN='") + TIMESIM_BINARY + "' ";
  for (const char* db : {"run.db", "cmp.db"}) {
    CAPTURE(db);
    const fs::path out = fx.dir / (std::string(db) + "-charts");
    const std::string cmd = env + "/usr/bin/python3 '" + test::source_path("scripts/charts.py") +
                            "' '" + (fx.dir / db).string() + "' -o '" + out.string() +
                            "' >/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::vector<std::string> pngs = {"timeline.png", "lifetime_cdf.png", "churn.png"};
    if (std::string(db) == "cmp.db")
      pngs.insert(pngs.end(), {"timeline_A.png", "timeline_B.png", "run_churn.png"});
    for (const auto& png : pngs) {
      CAPTURE(png);
      REQUIRE(fs::exists(out / png));
      const std::string bytes = test::slurp(out / png);
      CHECK(bytes.rfind("\x89PNG", 0) == 0);
      // The spec's 900 px plotting area (x1.25) plus axes and legend.
      CHECK(png_size(bytes).first > 1100);
      CHECK(png_size(bytes).second > 300);
      CHECK(fs::file_size(out / png) > 15000);  // a drawn chart, not a blank page
    }
  }
  // Block heights: from the sampled heights (table samples) of a six-node run, or from the
  // consensus `blocks` table (node, height, finality time) when it has rows.
  CHECK(fs::file_size(fx.dir / "run.db-charts" / "blocks.png") > 10000);
  const std::string blocks_only =
      "sqlite3 '" + (fx.dir / "run.db").string() +
      "' \"INSERT INTO blocks (run_id, node, height, block_hash, "
      "slot_unix_s, how, t_proposed_ns, t_finalized_ns, votes, active, transactions) VALUES "
      "(1, 0, 1, 'h1', 0, 'consensus', 0, 1000000000, 0, 0, 0), "
      "(1, 1, 1, 'h1', 0, 'consensus', 0, 2000000000, 0, 0, 0), "
      "(1, 0, 2, 'h2', 0, 'consensus', 600000000000, 601000000000, 0, 0, 0);\"";
  REQUIRE(std::system(blocks_only.c_str()) == 0);
  {
    REQUIRE(test::timesim("report run.db -o blocks.html", fx.dir).exit_code == 0);
    const auto specs = chart_specs(test::slurp(fx.dir / "blocks.html"));
    REQUIRE(specs.count("chart-blocks"));
    const auto& pts = specs.at("chart-blocks").at("layer").back().at("data").at("values");
    REQUIRE(pts.size() == 5);  // 3 heights, and each node's last height held to the end
    std::size_t at_1s = 0, second_at_601s = 0, held_at_end = 0;
    for (const auto& p : pts) {
      const double t = p.at("t").get<double>();
      at_1s += t == doctest::Approx(1.0 / 60) && p.at("height") == 1;
      second_at_601s += t == doctest::Approx(601.0 / 60) && p.at("height") == 2;
      held_at_end += t == doctest::Approx(20.0);
    }
    CHECK(at_1s == 1);
    CHECK(second_at_601s == 1);
    CHECK(held_at_end == 2);
    const std::string cmd = env + "/usr/bin/python3 '" + test::source_path("scripts/charts.py") +
                            "' '" + (fx.dir / "run.db").string() + "' -o '" +
                            (fx.dir / "blk").string() + "' >/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(fs::file_size(fx.dir / "blk" / "blocks.png") > 10000);
  }
  // Not a DB: exit 2.
  const std::string bad = env + "/usr/bin/python3 '" + test::source_path("scripts/charts.py") +
                          "' '" + (fx.dir / "nope.db").string() + "' 2>/dev/null";
  CHECK(WEXITSTATUS(std::system(bad.c_str())) == 2);
}
