#include <doctest/doctest.h>

#include <string>

#include "scenario/scenario.h"

using namespace ts;
using ts::sim::parse_duration;
using ts::sim::parse_scenario;

namespace {

const char* kNodes = R"(nodes:
  - {name: a, ip: 1.1.1.1, version: pre-fix}
  - {name: b, ip: 2.2.2.2, version: post-fix}
)";

// The error message for `text`, which must fail to load.
std::string error_of(const std::string& text) {
  auto s = parse_scenario(text, "t.yaml");
  REQUIRE_FALSE(s.ok());
  return s.error().message;
}

}  // namespace

TEST_CASE("durations: units, chains, and the errors") {
  CHECK(*parse_duration("90s") == seconds(90));
  CHECK(*parse_duration("1h30m") == 90 * kMinute);
  CHECK(*parse_duration("250ms") == millis(250));
  CHECK(*parse_duration("10us") == 10 * kMicrosecond);
  CHECK(*parse_duration("2d") == 48 * kHour);
  CHECK(*parse_duration("7ns") == 7);
  CHECK_FALSE(parse_duration("90").ok());
  CHECK_FALSE(parse_duration("").ok());
  CHECK_FALSE(parse_duration("-5s").ok());
  CHECK_FALSE(parse_duration("5 s").ok());
  CHECK_FALSE(parse_duration("5x").ok());
  CHECK_FALSE(parse_duration("0s").ok());
  CHECK_FALSE(parse_duration("99999999999999999999s").ok());
  CHECK_FALSE(parse_duration("200y").ok());
  CHECK(parse_duration("90").error().message.find("needs a unit") != std::string::npos);
}

TEST_CASE("scenario: a valid file loads with its values and defaults") {
  auto s = parse_scenario(std::string("seed: 9\nduration: 2h\n") + kNodes +
                              "latency:\n  default: {model: uniform, min: 10ms, max: 20ms}\n"
                              "  links:\n    - {from: a, to: b, model: fixed, value: 5ms}\n",
                          "dir/my_scenario.yaml");
  REQUIRE(s.ok());
  CHECK(s->name == "my_scenario");
  CHECK(s->seed == 9);
  CHECK(s->duration_ns == 2 * kHour);
  REQUIRE(s->nodes.size() == 2);
  CHECK(s->nodes[0].profile->name == "pre-fix");
  CHECK(s->latency(0, 1).kind == sim::LatencyKind::kFixed);
  CHECK(s->latency(0, 1).value_ns == millis(5));
  CHECK(s->latency(1, 0).kind == sim::LatencyKind::kUniform);  // one-way rule
}

TEST_CASE("scenario: latency resolution - link beats region beats default") {
  auto s = parse_scenario(R"(nodes:
  - {name: a, ip: 1.1.1.1, version: pre-fix, region: r1}
  - {name: b, ip: 2.2.2.2, version: pre-fix, region: r2}
  - {name: c, ip: 3.3.3.3, version: pre-fix}
latency:
  default: {model: fixed, value: 1ms}
  regions:
    - {between: [r1, r2], model: fixed, value: 2ms}
  links:
    - {between: [a, c], model: normal, mean: 3ms, stddev: 1ms, min: 1ms}
)",
                          "t.yaml");
  REQUIRE(s.ok());
  CHECK(s->latency(0, 1).value_ns == millis(2));
  CHECK(s->latency(1, 0).value_ns == millis(2));
  CHECK(s->latency(0, 2).kind == sim::LatencyKind::kNormal);
  CHECK(s->latency(2, 0).value_ns == millis(3));
  CHECK(s->latency(1, 2).value_ns == millis(1));
}

TEST_CASE("scenario: every bad input names file:line:col and the key") {
  struct Case {
    const char* what;
    std::string text;
    const char* expect_prefix;  // file:line:col
    const char* expect_text;
  };
  const Case cases[] = {
      {"unknown top-level key", std::string("sede: 1\n") + kNodes,
       "t.yaml:1:1: ", "unknown key 'sede'"},
      {"unknown node key", "nodes:\n  - {name: a, ip: 1.1.1.1, version: pre-fix, colour: red}\n",
       "t.yaml:2:46: ", "unknown key 'colour'"},
      {"wrong type: seed", std::string("seed: [1]\n") + kNodes, "t.yaml:1:7: ", "'seed'"},
      {"wrong type: seed negative", std::string("seed: -3\n") + kNodes, "t.yaml:1:7: ", "'seed'"},
      {"wrong type: nodes", "nodes: 3\n", "t.yaml:1:8: ", "'nodes' must be a non-empty list"},
      {"duplicate ip",
       "nodes:\n  - {name: a, ip: 1.1.1.1, version: pre-fix}\n  - {name: b, ip: 1.1.1.1, version: "
       "pre-fix}\n",
       "t.yaml:3:19: ", "duplicate node ip '1.1.1.1'"},
      {"duplicate name",
       "nodes:\n  - {name: a, ip: 1.1.1.1, version: pre-fix}\n  - {name: a, ip: 1.1.1.2, version: "
       "pre-fix}\n",
       "t.yaml:3:12: ", "duplicate node name 'a'"},
      {"unknown version", "nodes:\n  - {ip: 1.1.1.1, version: v2}\n",
       "t.yaml:2:28: ", "unknown version 'v2' (30 built in, listed by timesim versions"},
      {"bad duration", std::string("duration: 10\n") + kNodes,
       "t.yaml:1:11: ", "'duration': duration '10' needs a unit"},
      {"bad ip", "nodes:\n  - {ip: 1.1.1.300, version: pre-fix}\n",
       "t.yaml:2:10: ", "is not an IPv4 address"},
      {"missing version", "nodes:\n  - {ip: 1.1.1.1}\n", "t.yaml:2:5: ", "missing key 'version'"},
      {"missing nodes", "seed: 1\n", "t.yaml:1:1: ", "missing key 'nodes'"},
      {"duplicate key", std::string("seed: 1\nseed: 2\n") + kNodes,
       "t.yaml:2:1: ", "duplicate key 'seed'"},
      {"invalid yaml", "nodes: [\n", "t.yaml:", "invalid YAML"},
      {"latency model", std::string(kNodes) + "latency:\n  default: {model: pareto, value: 1ms}\n",
       "t.yaml:5:20: ", "unknown latency model 'pareto'"},
      {"latency key", std::string(kNodes) + "latency:\n  default: {model: fixed, mean: 1ms}\n",
       "t.yaml:5:27: ", "unknown key 'mean'"},
      {"latency unknown node",
       std::string(kNodes) +
           "latency:\n  links:\n    - {between: [a, zz], model: fixed, value: 1ms}\n",
       "t.yaml:6:21: ", "unknown node 'zz'"},
      {"empty", "", "t.yaml:1:1: ", "empty scenario"},
      {"consensus key", std::string(kNodes) + "consensus: {sample_every: 60s}\n",
       "t.yaml:4:13: ", "unknown key 'sample_every' in consensus"},
      {"consensus quorum", std::string(kNodes) + "consensus: {quorum_of: most}\n",
       "t.yaml:4:24: ", "'quorum_of' must be registered or active"},
      {"consensus interval", std::string(kNodes) + "consensus: {sample_interval: 5}\n",
       "t.yaml:4:30: ", "'sample_interval'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    const std::string msg = error_of(c.text);
    CAPTURE(msg);
    CHECK(msg.rfind(c.expect_prefix, 0) == 0);
    CHECK(msg.find(c.expect_text) != std::string::npos);
  }
}

TEST_CASE("scenario: the shipped topologies load") {
  for (const char* f : {"six_nodes.yaml", "six_nodes_prefix.yaml", "six_nodes_postfix.yaml",
                        "six_nodes_full_outbound.yaml", "six_nodes_full_outbound_partition.yaml"}) {
    CAPTURE(f);
    auto s = sim::load_scenario_file(std::string(TIMESIM_SOURCE_DIR) + "/topologies/" + f);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    CHECK(s->nodes.size() == 6);
    CHECK(s->consensus.enabled);
  }
}

TEST_CASE("scenario: an error quoting a multi-line key is still one line (fuzz finding)") {
  // Found by fuzz/fuzz_scenario.cc (tests/fuzz/scenario/crash-crash-6071d85...): a quoted
  // key spanning two lines was echoed with its newline.
  const std::string msg = error_of("nodes:\n\" - &a {i - &a {ip: 2.1.6+}\n \n");
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(msg.find("unknown key ' - &a {i - &a {ip: 2.1.6+}\\n' in scenario") != std::string::npos);
}
