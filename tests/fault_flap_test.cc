// The `flap` fault kind (faults/kinds/flap.cc): a link that goes down for `down` at the start
// of every `period`. Expected rows come from the flap's period/down and the protocol timers
// (pings every 30 s; the listener's kernel keepalive drops a silent dialer 30 s + 9 x 10 s
// after the last segment, server.rs's keepalive and Linux's tcp_keepalive_probes), never
// from a previous run.
//
// six_nodes_postfix.yaml, by index: 0 50.28.104.50, 3 165.232.154.150; 3 dials 0 (the
// string-order dial rule), every other link is untouched by the flap.
#include <doctest/doctest.h>

#include <fstream>

#include "sim/linux_tcp.h"
#include "test_util.h"

using namespace ts;
using ts::test::run;

namespace {

sim::Scenario postfix_with(const std::string& yaml) {
  return test::load_with("topologies/six_nodes_postfix.yaml", yaml);
}

// The listener drops a dialer it hears nothing from this long after the last segment.
Duration keepalive_death() {
  const auto& k = node::find_profile("post-fix")->inbound_keepalive;
  return k.idle_ns + sim::linux_tcp::kKeepaliveProbes * k.interval_ns;
}

// The last outbound ping sent before `cut` (pings at t_connect and every interval after).
SimTime last_ping_before(SimTime t_connect, SimTime cut) {
  const Duration iv = node::find_profile("post-fix")->timers.ping_interval_ns;
  return t_connect + ((cut - 1 - t_connect) / iv) * iv;
}

}  // namespace

TEST_CASE(
    "faults: flap - the link's connection ends in each down phase and comes back in each "
    "up phase; other links are untouched") {
  const SimTime start = 10 * kMinute + seconds(15), length = 40 * kMinute;
  const Duration period = 10 * kMinute, down = 4 * kMinute;
  const auto sc = postfix_with(R"(faults:
  - {kind: flap, at: 10m15s, for: 40m, between: [165.232.154.150, 50.28.104.50], period: 10m, down: 4m}
)");
  REQUIRE(sc.faults.size() == 1);
  CHECK(sc.faults[0].describe_params() == "period 600000ms, down 240000ms");
  REQUIRE(keepalive_death() < down);  // so each down phase ends the connection
  auto r = run(sc, 2, 60 * kMinute);
  const std::int64_t phases = (length + period - 1) / period;  // down phases begin in [start, end)
  REQUIRE(phases == 4);
  const std::string over_link =
      " ((dialer = 3 AND listener = 0) OR (dialer = 0 AND listener = 3)) ";
  for (std::int64_t k = 0; k < phases; ++k) {
    const SimTime d0 = start + k * period, d1 = d0 + down;
    CAPTURE(k);
    // The connection open when the phase begins ends inside it: the listener's keepalive
    // drops it keepalive_death() after the last ping that got through, charged to the flap.
    const auto ended = r.rows(
        "SELECT t_connect_ns, t_close_ns, close_reason, closed_by, fault_id FROM connections "
        "WHERE" +
        over_link + "AND t_connect_ns IS NOT NULL AND t_connect_ns < " + std::to_string(d0) +
        " AND t_close_ns >= " + std::to_string(d0) + " AND t_close_ns < " + std::to_string(d1));
    REQUIRE(ended.size() == 1);
    const SimTime tc = std::stoll(ended[0][0]), tx = std::stoll(ended[0][1]);
    CHECK(ended[0][2] == "keepalive_timeout");
    CHECK(ended[0][3] == "listener");
    CHECK(ended[0][4] == "1");
    const Duration silent = tx - last_ping_before(tc, d0);
    CHECK(silent > keepalive_death());
    CHECK(silent < keepalive_death() + seconds(1));  // plus the ping's one-way latency
    // ... and it had come up in the previous up phase (the first: before the flap).
    if (k > 0) CHECK(tc >= start + (k - 1) * period + down);
    // Nothing connects over the link while it is down.
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + over_link + "AND t_connect_ns >= " +
                   std::to_string(d0) + " AND t_connect_ns < " + std::to_string(d1)) == 0);
    // A connection is back in the up phase after it.
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + over_link + "AND t_connect_ns >= " +
                   std::to_string(d1) + " AND t_connect_ns < " + std::to_string(d0 + period)) >= 1);
  }
  // Exactly one keepalive drop per down phase, and the last connection stays up to the end.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + over_link +
                 "AND close_reason = 'keepalive_timeout'") == phases);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + over_link + "AND open_at_end = 1") ==
        1);
  // The 14 other links keep their first connection all run.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE NOT" + over_link) == 14);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE NOT" + over_link +
                 "AND open_at_end = 1") == 14);
}

TEST_CASE("faults: flap parses with file:line:col errors and round-trips through its spec") {
  const std::string nodes =
      "nodes:\n  - {name: a, ip: 1.1.1.1, version: pre-fix}\n  - {name: b, ip: 2.2.2.2, version: "
      "post-fix}\n";
  struct Case {
    std::string yaml;
    const char* expect;
  };
  const Case cases[] = {
      {"faults:\n  - {kind: flap, at: 1m, between: [a, b], down: 1m}\n",
       "t.yaml:5:5: fault 'flap': missing key 'period'"},
      {"faults:\n  - {kind: flap, at: 1m, between: [a, b], period: 1m, down: 2m}\n",
       "t.yaml:5:61: fault 'flap': 'down' must be shorter than 'period'"},
      {"faults:\n  - {kind: flap, at: 1m, between: [a, b], period: 1m, down: 1m, groups: [[a], "
       "[b]]}\n",
       "t.yaml:5:65: unknown key 'groups' in fault 'flap' (expected one of: kind, at, for, until, "
       "from, to, between, period, down)"},
      {"faults:\n  - {kind: flap, at: 1m, node: a, period: 1m, down: 1m}\n",
       "t.yaml:5:26: unknown key 'node'"},
      {"faults:\n  - {kind: flap, at: 1m, period: soon, down: 1m}\n", "t.yaml:5:34: 'period'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    auto s = sim::parse_scenario(nodes + c.yaml, "t.yaml");
    REQUIRE_FALSE(s.ok());
    CAPTURE(s.error().message);
    CHECK(s.error().message.find(c.expect) != std::string::npos);
  }
  auto s = sim::parse_scenario(
      nodes +
          "faults:\n  - {kind: flap, at: 1m, until: 9m, from: a, to: b, period: 90s, down: 30s}\n",
      "t.yaml");
  REQUIRE(s.ok());
  const std::vector<std::string> names = {"a", "b"};
  const std::string spec = s->faults[0].to_yaml(names);
  CHECK(spec ==
        "{kind: flap, at: 60000000000ns, until: 540000000000ns, from: [\"a\"], to: [\"b\"], "
        "period: 90000000000ns, down: 30000000000ns}");
  auto again = sim::parse_scenario(nodes + "faults:\n  - " + spec + "\n", "t.yaml");
  REQUIRE(again.ok());
  CHECK(again->faults[0].to_yaml(names) == spec);
}

TEST_CASE("faults: chaos draws flap only when its kinds list it") {
  sim::ChaosSpec spec;
  spec.enabled = true;
  spec.per_hour_num = 60;
  spec.kinds = {sim::find_fault_kind("flap")};
  const auto drawn = sim::draw_chaos(spec, 7, 4, kHour);
  REQUIRE(drawn.size() > 10);
  for (const auto& f : drawn) {
    CHECK(f.kind->name == "flap");
    CHECK(f.from.size() == 1);
    const Duration period = f.kind_params[0], down = f.kind_params[1];
    CHECK(period >= kMinute);
    CHECK(period <= 10 * kMinute);
    CHECK(down >= period / 10);
    CHECK(down <= period * 9 / 10);
  }
}
