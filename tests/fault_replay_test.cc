// Replaying a run from its faults rows: Fault::to_yaml is exact (it parses back into the
// same fault), and a topology plus the recorded specs, run with the same seed, gives the
// same rows as the original run with its chaos section.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "faults/fault.h"
#include "test_util.h"

using namespace ts;
using ts::test::run;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

sim::Scenario parse(const std::string& text) {
  auto sc = sim::parse_scenario(text, "replay.yaml");
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

// Every field World reads.
void check_same(const sim::Fault& a, const sim::Fault& b) {
  CHECK(a.kind == b.kind);
  CHECK(a.start_ns == b.start_ns);
  CHECK(a.end_ns == b.end_ns);
  CHECK(a.group_of == b.group_of);
  CHECK(a.from == b.from);
  CHECK(a.to == b.to);
  CHECK(a.one_way == b.one_way);
  CHECK(a.nodes == b.nodes);
  CHECK(a.latency.kind == b.latency.kind);
  CHECK(a.latency.value_ns == b.latency.value_ns);
  CHECK(a.latency.min_ns == b.latency.min_ns);
  CHECK(a.latency.max_ns == b.latency.max_ns);
  CHECK(a.latency.stddev_ns == b.latency.stddev_ns);
  CHECK(a.loss.num == b.loss.num);
  CHECK(a.loss.den == b.loss.den);
  CHECK(a.fraction.num == b.fraction.num);
  CHECK(a.fraction.den == b.fraction.den);
  CHECK(a.bandwidth_bps == b.bandwidth_bps);
  CHECK(a.size == b.size);
  CHECK(a.clock_offset_ns == b.clock_offset_ns);
  CHECK(a.drift_ppm == b.drift_ppm);
  CHECK(a.restart_after_ns == b.restart_after_ns);
  CHECK(a.restart_delay_ns == b.restart_delay_ns);
  CHECK(a.to_profile == b.to_profile);
}

const std::string kNodes = R"(nodes:
  - {name: a, ip: 1.1.1.1, version: pre-fix}
  - {name: "b c", ip: 2.2.2.2, version: post-fix}
  - {name: d, ip: 3.3.3.3, version: post-fix}
)";

}  // namespace

TEST_CASE("faults: to_yaml parses back into the same fault, for every kind") {
  const auto sc = parse(kNodes + R"(faults:
  - {kind: partition, at: 0s, for: 90s, groups: [[a], ["b c"]]}
  - {kind: partition, at: 1m, from: [a, d], to: ["b c"]}
  - {kind: latency, at: 1500ms, until: 2h, between: [a, d], model: normal, mean: 80ms, stddev: 7ms, min: 3ms}
  - {kind: latency, at: 2s, model: uniform, min: 0s, max: 3s}
  - {kind: latency, at: 3s, for: 1s, from: [d], to: [a], model: fixed, value: 0s}
  - {kind: loss, at: 5m, for: 10m, between: [[a], ["b c", d]], loss: 12.5%}
  - {kind: bandwidth, at: 1ns, from: [a], to: [d], bps: 64000}
  - {kind: reset, at: 20m, fraction: 1/3}
  - {kind: corrupt, at: 1m}
  - {kind: truncate, at: 1m, from: [a], to: [d]}
  - {kind: garbage, at: 1m, between: [a, d]}
  - {kind: oversize, at: 1m, between: [a, d], size: 3000000}
  - {kind: old_protocol, at: 1m, between: [a, d]}
  - {kind: wrong_kind, at: 1m, between: [a, d]}
  - {kind: refuse, at: 1m, for: 2m, node: a}
  - {kind: crash, at: 1m, nodes: [a, d], restart_after: 61s}
  - {kind: crash, at: 1m, node: d}
  - {kind: pause, at: 1m, for: 45s, node: "b c"}
  - {kind: pause, at: 1m, node: d}
  - {kind: clock_skew, at: 0s, node: a, offset: -90s, drift_ppm: -200}
  - {kind: clock_skew, at: 0s, for: 1h, node: d, drift_ppm: 5}
  - {kind: upgrade, at: 15m, node: a, to: post-fix, restart_delay: 0s}
upgrades:
  - {at: 20m, nodes: [d], to: pre-fix}
)");
  std::vector<std::string> names;
  for (const auto& n : sc.nodes)
    names.push_back(n.name);
  std::string yaml = kNodes + "faults:\n";
  for (const auto& f : sc.faults)
    yaml += "  - " + f.to_yaml(names) + "\n";
  const auto back = parse(yaml);
  REQUIRE(back.faults.size() == sc.faults.size());
  for (std::size_t i = 0; i < sc.faults.size(); ++i) {
    CAPTURE(i);
    CAPTURE(sc.faults[i].to_yaml(names));
    check_same(sc.faults[i], back.faults[i]);
    CHECK(back.faults[i].to_yaml(names) == sc.faults[i].to_yaml(names));
  }
}

TEST_CASE("faults: a chaos run replays from its faults rows - same seed, same rows") {
  const std::string topology = slurp(test::source_path("topologies/six_nodes.yaml"));
  const auto chaos = parse(topology + R"(chaos:
  rate: 40/h
  kinds: [partition, latency, loss, bandwidth, reset, corrupt, truncate, garbage, oversize, old_protocol,
          wrong_kind, refuse, crash, pause, clock_skew]
  min_duration: 5s
  max_duration: 4m
)");
  auto original = run(chaos, 5, kHour);
  std::string yaml = topology + "faults:\n";
  for (const auto& row : original.rows("SELECT spec FROM faults ORDER BY fault_id"))
    yaml += "  - " + row[0] + "\n";
  const auto replay_sc = parse(yaml);
  CHECK(replay_sc.faults.size() ==
        static_cast<std::size_t>(original.scalar("SELECT count(*) FROM faults")));
  CHECK(replay_sc.faults.size() >= 20);
  auto replay = run(replay_sc, 5, kHour);
  auto dump = [](const test::Run& r, const std::string& sql) {
    std::string s;
    for (const auto& row : r.rows(sql))
      for (const auto& c : row)
        s += c + "|";
    return s;
  };
  for (const char* sql : {"SELECT * FROM connections ORDER BY conn_id",
                          "SELECT * FROM protocol_errors ORDER BY 1, 2, 3",
                          "SELECT * FROM node_events ORDER BY 1, 2, 3",
                          "SELECT fault_id, kind, targets, start_ns, end_ns, params, spec FROM "
                          "faults ORDER BY fault_id"}) {
    CAPTURE(sql);
    CHECK(dump(original, sql) == dump(replay, sql));
  }
  CHECK(replay.scalar("SELECT count(*) FROM faults WHERE source = 'chaos'") == 0);
}

TEST_CASE("cli: timesim faults prints the replayable schedule - exit 2 on a missing DB") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("timesim_faults_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string topology = slurp(test::source_path("topologies/six_nodes_postfix.yaml"));
  std::ofstream(dir / "s.yaml")
      << topology
      << "faults:\n  - {kind: partition, at: 10m, for: 1m, groups: [[50.28.104.50], "
         "[64.91.241.10]]}\nupgrades:\n  - {at: 20m, nodes: [69.167.168.176], to: pre-fix}\n";
  auto sh = [&](const std::string& args) {
    const std::string cmd =
        "cd '" + dir.string() + "' && '" + TIMESIM_BINARY + "' " + args + " >out.txt 2>err.txt";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  REQUIRE(sh("run s.yaml --duration 30m --db r.db -q") == 0);
  REQUIRE(sh("faults r.db") == 0);
  const std::string out = slurp((dir / "out.txt").string());
  // a 1 min partition heals before the pong timeout can fire (the 3rd unanswered ping
  // expires at least 2 intervals + the timeout after the cut) and before the listener's
  // keepalive (120 s after the last ping that arrived, at most 30 s before the cut): it
  // ended nothing
  CHECK(
      out.find("faults:\n  - {kind: partition, at: 600000000000ns, until: 660000000000ns, groups: "
               "[[\"50.28.104.50\"], [\"64.91.241.10\"]]}  # scenario, ended no connection\n") !=
      std::string::npos);
  // the upgrade's count and reasons are the DB's
  std::string expect;
  std::int64_t total = 0;
  const auto db = test::open_read_only((dir / "r.db").string());
  for (const auto& row :
       test::rows(db.get(),
                  "SELECT close_reason, count(*) FROM connections WHERE fault_id = 2 GROUP BY 1 "
                  "ORDER BY 1")) {
    expect += std::string(expect.empty() ? "" : ", ") + row[0] + " " + row[1];
    total += std::stoll(row[1]);
  }
  CHECK(total >= 5);  // node 5's five inbound links at least
  CHECK(
      out.find(
          "  - {kind: upgrade, at: 1200000000000ns, nodes: [\"69.167.168.176\"], to: \"pre-fix\", "
          "restart_delay: 10000000000ns}  # upgrade, ended " +
          std::to_string(total) + " (" + expect + ")\n") != std::string::npos);
  // it parses as a scenario section
  CHECK(sim::parse_scenario(topology + out, "x.yaml").ok());
  CHECK(sh("faults missing.db") == 2);
  CHECK(slurp((dir / "err.txt").string()).find("no such results DB") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "missing.db"));
  fs::remove_all(dir);
}
