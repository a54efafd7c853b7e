// `timesim report` (self-contained HTML, rendered by headless Chromium when installed) and
// scripts/charts.py (PNG charts from the DB alone, when python3-matplotlib is installed).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/run_cli.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace ts;

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

}  // namespace

TEST_CASE("report: self-contained HTML with the summary tables and inline SVG charts") {
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
    CHECK(count(html, "<svg") >= 3);
    // No network: the only URL is the SVG namespace; no scripts, stylesheets or images.
    CHECK(count(html, "http") == count(html, "http://www.w3.org/2000/svg"));
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<img") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    if (std::string(db) == "cmp.db") {
      CHECK(html.find("id=\"comparison-table\"") != std::string::npos);
      CHECK(html.find("fault window") != std::string::npos);         // the spike side has a fault
      CHECK(html.find("id=\"faults-table\"") == std::string::npos);  // run 1 (pre-fix) has none
    }
  }
  // The same DB gives the same bytes.
  REQUIRE(test::timesim("report run.db -o again.html", fx.dir).exit_code == 0);
  REQUIRE(test::timesim("report run.db -o out2.html", fx.dir).exit_code == 0);
  CHECK(test::slurp(fx.dir / "again.html") == test::slurp(fx.dir / "out2.html"));
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
  REQUIRE(chromium("--dump-dom", "report.html", "dom.html") == 0);
  const std::string dom = test::slurp(fx.dir / "dom.html");
  CHECK(dom.find("id=\"comparison-table\"") != std::string::npos);
  CHECK(dom.find("id=\"runs-table\"") != std::string::npos);
  CHECK(dom.find("id=\"links-table\"") != std::string::npos);
  CHECK(dom.find("churn_per_link_hour") != std::string::npos);
  CHECK(dom.find("<svg") != std::string::npos);
  REQUIRE(chromium("--screenshot=shot.png", "report.html", "shot.log") == 0);
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

TEST_CASE("charts.py: PNG charts from the DB alone (skipped without python3-matplotlib)") {
  if (test::tool_hidden("matplotlib") ||
      std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") != 0) {
    MESSAGE(
        "SKIPPED: /usr/bin/python3 with matplotlib is not installed (apt-get install "
        "python3-matplotlib)");
    return;
  }
  Fixture fx;
  for (const char* db : {"run.db", "cmp.db"}) {
    CAPTURE(db);
    const fs::path out = fx.dir / (std::string(db) + "-charts");
    const std::string cmd = "/usr/bin/python3 '" + test::source_path("scripts/charts.py") + "' '" +
                            (fx.dir / db).string() + "' -o '" + out.string() + "' >/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    for (const char* png : {"timeline.png", "lifetime_cdf.png", "churn.png"}) {
      CAPTURE(png);
      REQUIRE(fs::exists(out / png));
      CHECK(test::slurp(out / png).rfind("\x89PNG", 0) == 0);
      CHECK(fs::file_size(out / png) > 20000);
    }
  }
  // With a consensus `blocks` table (node, height, commit time) there is a block-height chart.
  const std::string add_blocks = "sqlite3 '" + (fx.dir / "run.db").string() +
                                 "' \"CREATE TABLE blocks (run_id INTEGER, node INTEGER, height "
                                 "INTEGER, t_proposed_ns INTEGER, "
                                 "t_finalized_ns INTEGER); INSERT INTO blocks VALUES (1, 0, 1, 0, "
                                 "1000000000), (1, 1, 1, 0, 2000000000), "
                                 "(1, 0, 2, 600000000000, 601000000000);\"";
  if (std::system(add_blocks.c_str()) == 0) {
    const std::string cmd = "/usr/bin/python3 '" + test::source_path("scripts/charts.py") + "' '" +
                            (fx.dir / "run.db").string() + "' -o '" + (fx.dir / "blk").string() +
                            "' >/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(fs::file_size(fx.dir / "blk" / "blocks.png") > 10000);
  }
  // Not a DB: exit 2.
  const std::string bad = "/usr/bin/python3 '" + test::source_path("scripts/charts.py") + "' '" +
                          (fx.dir / "nope.db").string() + "' 2>/dev/null";
  CHECK(WEXITSTATUS(std::system(bad.c_str())) == 2);
}
