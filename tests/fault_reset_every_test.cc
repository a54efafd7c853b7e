// The `reset_every` fault kind (faults/kinds/reset_every.cc): an RST from the path at `at`
// and every `period` after, until the end. Expected rows come from the fault's at/period/for
// (one reset per period, at the exact instant) and the dialer's redial, never from a
// previous run.
//
// six_nodes_postfix.yaml, by index: 0 50.28.104.50, 3 165.232.154.150; 3 dials 0.
#include <doctest/doctest.h>

#include <fstream>

#include "test_util.h"

using namespace ts;
using ts::test::run;

namespace {

sim::Scenario postfix_with(const std::string& yaml) {
  return test::load_with("topologies/six_nodes_postfix.yaml", yaml);
}

const std::string kOverLink = " ((dialer = 3 AND listener = 0) OR (dialer = 0 AND listener = 3)) ";

}  // namespace

TEST_CASE("faults: reset_every - one reset per period at its instant, the link redials between") {
  const SimTime start = 10 * kMinute;
  const Duration period = 5 * kMinute, length = 30 * kMinute;
  const auto sc = postfix_with(R"(faults:
  - {kind: reset_every, at: 10m, for: 30m, between: [165.232.154.150, 50.28.104.50], period: 5m}
)");
  REQUIRE(sc.faults.size() == 1);
  CHECK(sc.faults[0].describe_params() == "every 300000ms, fraction 1/1");
  auto r = run(sc, 3, 60 * kMinute);
  // Resets at start + k * period while before the end (start + length).
  std::vector<std::string> expected;
  for (SimTime t = start; t < start + length; t += period)
    expected.push_back(std::to_string(t));
  REQUIRE(expected.size() == 6);
  std::vector<std::string> got;
  for (const auto& row : r.rows("SELECT t_close_ns, closed_by, fault_id FROM connections WHERE" +
                                kOverLink + "AND close_reason = 'reset' ORDER BY t_close_ns")) {
    got.push_back(row[0]);
    CHECK(row[2] == "1");
  }
  CHECK(got == expected);
  // The dialer reconnects after each reset, well before the next one, and the last
  // connection lives to the end of the run.
  for (const auto& t : expected)
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + kOverLink + "AND t_connect_ns > " +
                   t + " AND t_connect_ns < " + t + " + " + std::to_string(period)) == 1);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + kOverLink + "AND open_at_end = 1") ==
        1);
  // Nothing else is reset: the 14 other links keep their first connection.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'reset' AND NOT" +
                 kOverLink) == 0);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE NOT" + kOverLink +
                 "AND open_at_end = 1") == 14);
}

TEST_CASE("faults: reset_every with fraction 0 resets nothing") {
  const auto sc = postfix_with(R"(faults:
  - {kind: reset_every, at: 10m, between: [165.232.154.150, 50.28.104.50], period: 1m, fraction: 0}
)");
  auto r = run(sc, 3, 30 * kMinute);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'reset'") == 0);
  CHECK(r.scalar("SELECT count(*) FROM connections") == 15);
}

TEST_CASE("faults: reset_every parses with file:line:col errors and round-trips its spec") {
  const std::string nodes =
      "nodes:\n  - {name: a, ip: 1.1.1.1, version: pre-fix}\n  - {name: b, ip: 2.2.2.2, version: "
      "post-fix}\n";
  auto missing = sim::parse_scenario(
      nodes + "faults:\n  - {kind: reset_every, at: 1m, between: [a, b]}\n", "t.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "t.yaml:5:5: fault 'reset_every': missing key 'period'");
  auto fast = sim::parse_scenario(
      nodes + "faults:\n  - {kind: reset_every, at: 1m, between: [a, b], period: 10ms}\n",
      "t.yaml");
  REQUIRE_FALSE(fast.ok());
  CHECK(fast.error().message.find("t.yaml:5:") == 0);
  CHECK(fast.error().message.find("'period' must be at least 1s") != std::string::npos);
  auto s = sim::parse_scenario(nodes +
                                   "faults:\n  - {kind: reset_every, at: 1m, until: 9m, from: a, "
                                   "to: b, period: 90s, fraction: 1/4}\n",
                               "t.yaml");
  REQUIRE(s.ok());
  const std::vector<std::string> names = {"a", "b"};
  const std::string spec = s->faults[0].to_yaml(names);
  CHECK(spec ==
        "{kind: reset_every, at: 60000000000ns, until: 540000000000ns, from: [\"a\"], to: "
        "[\"b\"], period: 90000000000ns, fraction: 1/4}");
  auto again = sim::parse_scenario(nodes + "faults:\n  - " + spec + "\n", "t.yaml");
  REQUIRE(again.ok());
  CHECK(again->faults[0].to_yaml(names) == spec);
}
