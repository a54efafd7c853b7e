// `timesim hunt` end to end, on a planted bug (the planted-bug-drop-heartbeats profile: a
// listener ignores heartbeats on a reconnected inbound connection, so after any fault that
// makes a dialer reconnect, the listener counts one masternode fewer for good).
//
// The property: at the last sample every node counts every node as an active masternode.
// The six hypothetical-ideal-consensus nodes keep it under 8-kind chaos that stops 20 minutes
// before the end (a reconnected dialer is heard again within a heartbeat, 60 s); the planted
// profile breaks it after the first reconnection plus the 180 s offline threshold.
#include <doctest/doctest.h>

#include <chrono>
#include <regex>

#include "run_cli.h"
#include "test_util.h"

namespace ts {
namespace {

namespace fs = std::filesystem;

const std::string kProperty =
    "sql: SELECT node FROM samples WHERE t_ns = (SELECT max(t_ns) FROM samples) AND "
    "active_masternodes < (SELECT count(*) FROM nodes)";

// The six nodes of six_nodes_full_outbound.yaml for 1 h on `version`, 40 faults/h of 8 kinds in the
// first 40 min.
std::string chaos_scenario(const std::string& version) {
  std::string text = test::slurp(test::source_path("topologies/six_nodes_full_outbound.yaml"));
  text = std::regex_replace(text, std::regex("version: hypothetical-full-outbound"),
                            "version: " + version);
  text = std::regex_replace(text, std::regex("\nduration: 6h"), "\nduration: 1h");
  return text +
         "chaos:\n  rate: 40/h\n  kinds: [partition, crash, latency, reset, loss, pause, refuse, "
         "garbage]\n  end: 40m\n  min_duration: 20s\n  max_duration: 2m\n"
         "properties:\n  - {sql: \"" +
         kProperty.substr(5) + "\"}\n";
}

struct HuntRun {
  fs::path dir;
  test::CliOutcome outcome;
  double wall_s = 0;
  fs::path found;  // the shrunk scenario
  int faults_before = -1, faults_after = -1;
};

// One hunt over seeds 1..8 with 2 jobs, shared by the tests below.
const HuntRun& planted_hunt() {
  static const HuntRun run = [] {
    HuntRun r;
    r.dir = test::fresh_dir("hunt_planted");
    std::ofstream(r.dir / "planted.yaml") << chaos_scenario("planted-bug-drop-heartbeats");
    const auto t0 = std::chrono::steady_clock::now();
    r.outcome = test::timesim("hunt planted.yaml --seeds 1..8 --jobs 2", r.dir);
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::smatch m;
    if (std::regex_search(r.outcome.out, m, std::regex(R"(shrunk: faults (\d+) -> (\d+))"))) {
      r.faults_before = std::stoi(m[1]);
      r.faults_after = std::stoi(m[2]);
    }
    if (std::regex_search(r.outcome.out, m, std::regex(R"(wrote \./(hunt-[a-z0-9-]+\.yaml))")))
      r.found = r.dir / m[1].str();
    return r;
  }();
  return run;
}

// The `faults:` entries of a scenario text, and the text without them.
std::vector<std::string> fault_lines(const std::string& text, std::string& rest) {
  std::vector<std::string> faults;
  rest.clear();
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("  - {kind: ", 0) == 0)
      faults.push_back(line);
    else if (line != "faults:")
      rest += line + "\n";
  }
  return faults;
}

TEST_CASE("hunt: finds the planted bug and shrinks 20+ faults to the few that matter, < 1 min") {
  const auto& r = planted_hunt();
  CAPTURE(r.outcome.out);
  CAPTURE(r.outcome.err);
  CHECK(r.outcome.exit_code == 1);  // a violation was found
  CHECK(r.outcome.out.find("seed 1 violates") != std::string::npos);
  CHECK(r.faults_before >= 20);
  CHECK(r.faults_after >= 1);
  CHECK(r.faults_after <= 3);
  CHECK(r.wall_s < 60);
  REQUIRE(fs::exists(r.found));
  // The written scenario runs chaos-free, on the same seed, with the shrunk schedule.
  const auto text = test::slurp(r.found);
  CHECK(text.find("chaos:") == std::string::npos);
  CHECK(text.find("\nseed: 1\n") != std::string::npos);
  std::string rest;
  CHECK(static_cast<int>(fault_lines(text, rest).size()) == r.faults_after);
  CHECK(r.outcome.out.find("first violated at t=") != std::string::npos);
}

TEST_CASE("hunt: the shrunk scenario violates under timesim run, and holds without any one fault") {
  const auto& r = planted_hunt();
  REQUIRE(fs::exists(r.found));
  const auto dir = test::fresh_dir("hunt_minimal");
  const std::string text = test::slurp(r.found);
  std::ofstream(dir / "found.yaml") << text;
  const auto o = test::timesim("run found.yaml --db found.db -q", dir);
  CAPTURE(o.out);
  CAPTURE(o.err);
  CHECK(o.exit_code == 1);
  CHECK(o.out.find("VIOLATED") != std::string::npos);
  std::string rest;
  const auto faults = fault_lines(text, rest);
  REQUIRE(!faults.empty());
  for (std::size_t drop = 0; drop < faults.size(); ++drop) {
    std::string without = rest + "faults:\n";
    for (std::size_t i = 0; i < faults.size(); ++i)
      if (i != drop) without += faults[i] + "\n";
    if (faults.size() == 1) without = rest;
    const std::string name = "without" + std::to_string(drop);
    std::ofstream(dir / (name + ".yaml")) << without;
    const auto w = test::timesim("run " + name + ".yaml --db " + name + ".db -q", dir);
    CAPTURE(drop);
    CAPTURE(w.out);
    CAPTURE(w.err);
    CHECK(w.exit_code == 0);
    CHECK(w.out.find("holds") != std::string::npos);
  }
  // The same schedule on the healthy profile holds: the bug, not the faults, breaks it.
  std::ofstream(dir / "healthy.yaml") << std::regex_replace(
      text, std::regex("planted-bug-drop-heartbeats"), "hypothetical-ideal-consensus");
  const auto h = test::timesim("run healthy.yaml --db healthy.db -q", dir);
  CHECK(h.exit_code == 0);
}

TEST_CASE("hunt: the healthy profile under the same chaos keeps the property over the seeds") {
  const auto dir = test::fresh_dir("hunt_healthy");
  std::ofstream(dir / "healthy.yaml") << chaos_scenario("hypothetical-ideal-consensus");
  const auto o = test::timesim("hunt healthy.yaml --seeds 1..8 --jobs 2", dir);
  CAPTURE(o.out);
  CAPTURE(o.err);
  CHECK(o.exit_code == 0);
  CHECK(o.out.find("no violation in 8 of 8 seed(s)") != std::string::npos);
  CHECK(o.err.find("8/8 seeds tried · 0 failing") != std::string::npos);
}

}  // namespace
}  // namespace ts
