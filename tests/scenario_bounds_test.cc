// Issue 14 (the loader's part): no value a user types silently changes meaning, every
// user-controlled size is bounded before anything is built, and every message is one short
// line reported where the user wrote the thing.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "run_cli.h"
#include "scenario/scenario.h"
#include "test_util.h"

using namespace ts;
using ts::sim::parse_scenario;

namespace {

const char* kNodes = R"(nodes:
  - {name: a, ip: 1.1.1.1, version: pre-fix, region: us-mi}
  - {name: b, ip: 2.2.2.2, version: post-fix, region: eu-fra}
)";

std::string error_of(const std::string& text) {
  auto s = parse_scenario(text, "t.yaml");
  REQUIRE_FALSE(s.ok());
  return s.error().message;
}

void loads(const std::string& text) {
  auto s = parse_scenario(text, "t.yaml");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
}

// `msg` starts with `prefix` and contains `text`.
void is_error(const std::string& msg, const std::string& prefix, const std::string& text) {
  CAPTURE(msg);
  CHECK(msg.rfind(prefix, 0) == 0);
  CHECK(msg.find(text) != std::string::npos);
}

}  // namespace

TEST_CASE("bounds: a seed is 0..2^63-1, never saturated or stored negative") {
  auto s = parse_scenario(std::string("seed: 9223372036854775807\n") + kNodes, "t.yaml");
  REQUIRE(s.ok());
  CHECK(s->seed == 9223372036854775807ULL);
  for (const char* big : {"9223372036854775808", "18446744073709551615", "18446744073709551616",
                          "99999999999999999999999"}) {
    CAPTURE(big);
    is_error(error_of(std::string("seed: ") + big + "\n" + kNodes),
             "t.yaml:1:7: ", "'seed' must be at most 9223372036854775807");
  }
  // other integers keep their own, wider range
  loads(std::string("epoch: 4102444800\n") + kNodes);
}

TEST_CASE("bounds: a second YAML document is an error, not ignored") {
  is_error(error_of(std::string(kNodes) + "---\nseed: 5\n"),
           "t.yaml:5:1: ", "a second YAML document");
  is_error(error_of(std::string(kNodes) + "--- 7\n"), "t.yaml:4:5: ", "a second YAML document");
  loads(std::string("---\n") + kNodes);                      // a leading marker: one document
  loads(std::string(kNodes) + "---\n# nothing after it\n");  // an empty second document
  loads(std::string(kNodes) + "...\n");
}

TEST_CASE("bounds: a latency region no node is in is an error listing the known ones") {
  const std::string rule = "latency:\n  regions:\n    - {between: [us-mi, ";
  loads(std::string(kNodes) + rule + "eu-fra], model: fixed, value: 5ms}\n");
  is_error(error_of(std::string(kNodes) + rule + "eu-fr], model: fixed, value: 5ms}\n"),
           "t.yaml:6:25: ", "unknown region 'eu-fr' in latency.regions (known: 'eu-fra', 'us-mi')");
  is_error(error_of("nodes:\n  - {ip: 1.1.1.1, version: pre-fix}\n  - {ip: 1.1.1.2, version: "
                    "pre-fix}\n" +
                    rule + "us-mi], model: fixed, value: 5ms}\n"),
           "t.yaml:6:18: ", "unknown region 'us-mi' in latency.regions (no node has a region)");
}

TEST_CASE("bounds: a chaos window must be a non-empty interval inside the run") {
  const std::string head =
      std::string("duration: 1h\n") + kNodes + "chaos: {rate: 6/h, kinds: [reset]";
  loads(head + ", start: 10m, end: 20m}\n");
  loads(head + ", start: 10m, end: 2h}\n");  // ends after the run: clipped to it
  is_error(error_of(head + ", start: 30m, end: 10m}\n"),
           "t.yaml:5:53: ", "chaos: 'end' (10m) must be after 'start' (30m)");
  is_error(error_of(head + ", start: 10m, end: 10m}\n"),
           "t.yaml:5:53: ", "chaos: 'end' (10m) must be after 'start' (10m)");
  is_error(error_of(head + ", start: 1h}\n"),
           "t.yaml:5:8: ", "chaos: the window starts at 1h, not before the run ends (1h)");
  is_error(error_of(head + ", start: 2h, end: 3h}\n"),
           "t.yaml:5:8: ", "chaos: the window starts at 2h, not before the run ends (1h)");
}

TEST_CASE("bounds: chaos draws at most 1,000,000 faults on average (rate x window)") {
  const std::string head =
      std::string("duration: 1h\n") + kNodes + "chaos: {kinds: [reset], rate: ";
  loads(head + "1000000/h}\n");
  is_error(error_of(head + "1000001/h}\n"), "t.yaml:5:8: ",
           "chaos: rate 1000001/h over 1h would draw about 1000001 faults (limit 1000000)");
  is_error(error_of(head + "999999999/h}\n"),
           "t.yaml:5:8: ", "would draw about 999999999 faults (limit 1000000)");
  // the window, not the run, counts
  loads(std::string("duration: 24h\n") + kNodes +
        "chaos: {kinds: [reset], rate: 500000/h, start: 10h, end: 12h}\n");
}

TEST_CASE("bounds: a topology has at most 10,000,000 links, checked before it is built") {
  auto gen = [](int count, const std::string& topology) {
    return "generate: {count: " + std::to_string(count) + ", versions: {post-fix: 100%}}\n" +
           topology;
  };
  loads(gen(4472, ""));  // a full mesh of 4472 nodes: 9,997,156 links
  is_error(error_of(gen(4473, "")),
           "t.yaml:1:11: ", "a full mesh of 4473 nodes has 10001628 links (limit 10000000)");
  is_error(error_of(gen(50000, "")), "t.yaml:1:11: ", "has 1249975000 links (limit 10000000)");
  is_error(error_of(gen(50000, "topology: {kind: full-mesh}\n")),
           "t.yaml:2:11: ", "a full mesh of 50000 nodes");
  const std::string k1000 = "topology: {kind: random-k-out, k: 1000}\n";
  loads(gen(10000, k1000));  // 10000 x 1000 picks
  is_error(error_of(gen(10001, k1000)), "t.yaml:2:11: ",
           "random-k-out (k 1000) of 10001 nodes has up to 10001000 links (limit 10000000)");
}

TEST_CASE("bounds: only a regular file is read as a scenario (/dev/zero, FIFOs)") {
  for (const char* dev : {"/dev/zero", "/dev/null", "/dev/urandom"}) {
    CAPTURE(dev);
    auto s = sim::load_scenario_file(dev);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message ==
          std::string(dev) + ": not a regular file (a scenario must be a YAML file)");
  }
  const auto dir = test::fresh_dir("scenario_fifo");
  const auto fifo = (dir / "f.yaml").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // opening it would block: it must not be opened
  auto s = sim::load_scenario_file(fifo);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("f.yaml: not a regular file") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("messages: an empty value is reported at its key, not on the next line") {
  is_error(error_of(std::string("seed:\n") + kNodes), "t.yaml:1:1: ", "'seed' has no value");
  is_error(error_of(std::string("seed: 1\nduration:\n") + kNodes),
           "t.yaml:2:1: ", "'duration' has no value");
  is_error(error_of("nodes:\n  - ip: 1.1.1.1\n    version:\n  - {ip: 1.1.1.2, version: pre-fix}\n"),
           "t.yaml:3:5: ", "'version' has no value");
  is_error(error_of(std::string(kNodes) + "faults:\n  - kind:\n    at: 1m\n"),
           "t.yaml:5:5: ", "'kind' has no value");
  is_error(error_of(std::string(kNodes) + "latency:\n  default:\n    model:\n    value: 5ms\n"),
           "t.yaml:6:5: ", "'model' has no value");
  is_error(error_of(std::string(kNodes) + "chaos: {rate: , kinds: [reset]}\n"),
           "t.yaml:4:9: ", "'rate' has no value");
}

TEST_CASE("messages: user text is quoted short and escaped (a 3 MB version string)") {
  const std::string huge(3'000'000, 'v');
  const auto msg = error_of("nodes:\n  - {ip: 1.1.1.1, version: " + huge + "}\n");
  CAPTURE(msg.substr(0, 300));
  CHECK(msg.size() < 300);
  CHECK(msg.find("unknown version '" + std::string(80, 'v') + "\u2026' (30 built in") !=
        std::string::npos);
  // a long topology kind, a long node name in a fault, a long duration: all cut
  for (const std::string& text :
       {std::string(kNodes) + "topology: {kind: " + huge + "}\n",
        std::string(kNodes) + "faults:\n  - {kind: crash, at: 1m, nodes: [" + huge + "]}\n",
        std::string("duration: 1") + huge + "\n" + kNodes}) {
    const auto m = error_of(text);
    CAPTURE(m.substr(0, 300));
    CHECK(m.size() < 300);
    CHECK(m.find("\u2026'") != std::string::npos);
  }
  // a quoted control character is escaped, and a multi-byte character is never split
  const auto ctl = error_of("nodes:\n  - {ip: 1.1.1.1, version: \"a\\tb\"}\n");
  CHECK(ctl.find("unknown version 'a\\tb'") != std::string::npos);
  std::string wide;
  for (int i = 0; i < 40; ++i)
    wide += "\u00e9";  // 2 bytes each: "x" + 40 of them is 81 bytes, byte 80 inside the last
  const auto m = error_of("nodes:\n  - {ip: 1.1.1.1, version: x" + wide + "}\n");
  CHECK(m.find("'x" + wide.substr(0, 78) + "\u2026'") != std::string::npos);
}
