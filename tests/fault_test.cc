// Fault injection scenario tests: expected times come from the protocol timers
// (ping every 30 s, check every 10 s, a ping is missed when older than 90 s, 3 misses
// close; connect timeout 10 s; back-off 10 s doubling), never from a previous run.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "sim/summary.h"
#include "test_util.h"

using namespace ts;
using ts::test::run;

namespace {

sim::Scenario with_faults(const std::string& base, const std::string& faults_yaml) {
  std::ifstream in(test::source_path("topologies/" + base));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto sc = sim::parse_scenario(text + faults_yaml, base);
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

// Group A = the three fixed nodes of six_nodes (indices 0..2), B = the other three.
bool in_a(std::int64_t n) {
  return n <= 2;
}

// The pong-timeout close time of an outbound connection established at `t_connect` whose
// pings stop being answered from `cut` on (assuming every ping sent before `cut` was
// answered, which needs `cut` away from a ping time by more than an RTT).
SimTime pong_timeout_close(SimTime t_connect, SimTime cut) {
  const auto& t = node::find_profile("post-fix")->timers;
  // pings at t_connect (x2) and t_connect + k*interval; the first unanswered one is k0
  const std::int64_t k0 = (cut - t_connect) / t.ping_interval_ns + 1;
  // a ping sent at s is missed at the first check (t_connect + m*check) with age > timeout
  auto missed_at = [&](SimTime s) {
    SimTime c = t_connect + ((s - t_connect) / t.ping_check_interval_ns) * t.ping_check_interval_ns;
    while (c - s <= t.ping_timeout_ns)
      c += t.ping_check_interval_ns;
    return c;
  };
  // misses accumulate one per unanswered ping; the max_missed-th closes the connection
  return missed_at(t_connect + (k0 + t.max_missed_pongs - 1) * t.ping_interval_ns);
}

}  // namespace

TEST_CASE(
    "faults: a symmetric partition closes cross links at the pong timeout, backs off, heals") {
  const SimTime P = 10 * kMinute + seconds(15), H = P + 10 * kMinute;
  const auto sc = with_faults("six_nodes_postfix.yaml", R"(faults:
  - {kind: partition, at: 10m15s, for: 10m, groups: [[50.28.104.50, 64.91.241.10, 165.84.215.117],
                                                     [165.232.154.150, 178.128.199.144, 69.167.168.176]]}
)");
  const std::uint64_t seed = 4;
  CAPTURE(seed);
  auto r = run(sc, seed, 40 * kMinute);
  // The first connection of each cross link: closed by the dialer's pong timeout at the
  // time the timers imply; its FIN reaches the listener only after the heal.
  const auto first = r.rows(
      "SELECT dialer, listener, t_connect_ns, t_close_ns, close_reason, closed_by, "
      "t_closed_listener_ns, "
      "fault_id FROM connections WHERE conn_id IN (SELECT min(conn_id) FROM connections GROUP BY "
      "dialer, listener)");
  REQUIRE(first.size() == 15);
  int cross = 0;
  for (const auto& row : first) {
    const auto d = std::stoll(row[0]), l = std::stoll(row[1]);
    CAPTURE(d);
    CAPTURE(l);
    if (in_a(d) == in_a(l)) {
      CHECK(row[4] == "end_of_run");  // same side: untouched
      continue;
    }
    ++cross;
    CHECK(row[4] == "pong_timeout");
    CHECK(row[5] == "dialer");
    CHECK(std::stoll(row[3]) == pong_timeout_close(std::stoll(row[2]), P));
    CHECK(std::stoll(row[6]) >= H);  // nothing crossed while the partition held
    CHECK(row[7] == "1");            // charged to the partition
  }
  CHECK(cross == 9);
  // While it holds, cross-link dials time out and back off: 10 s, 20 s, 40 s, ...
  for (const auto& [d, l] : std::vector<std::pair<int, int>>{{3, 0}, {2, 4}}) {
    const auto dials =
        r.rows("SELECT t_dial_ns, t_close_ns, close_reason FROM connections WHERE dialer = " +
               std::to_string(d) + " AND listener = " + std::to_string(l) + " AND t_dial_ns > " +
               std::to_string(P) + " AND t_dial_ns < " + std::to_string(H) + " ORDER BY t_dial_ns");
    REQUIRE(dials.size() >= 4);
    for (const auto& row : dials)
      CHECK(row[2] == "connect_timeout");
    Duration expect = seconds(10);
    for (std::size_t i = 1; i < dials.size(); ++i) {
      CHECK(std::stoll(dials[i][0]) - std::stoll(dials[i - 1][1]) == expect);
      expect = std::min<Duration>(expect * 2, seconds(300));
    }
  }
  // After the heal every cross link is back within the back-off bound and stays up.
  auto summary = sim::summarize(r.db(), 0);
  REQUIRE(summary.ok());
  for (const auto& l : summary->links) {
    if (in_a(l.dialer) == in_a(l.listener)) continue;
    const auto last_fail = r.scalar(
        "SELECT max(t_close_ns) FROM connections WHERE dialer=" + std::to_string(l.dialer) +
        " AND listener=" + std::to_string(l.listener) + " AND t_dial_ns < " + std::to_string(H));
    const auto fails = r.scalar(
        "SELECT count(*) FROM connections WHERE close_reason='connect_timeout' AND dialer=" +
        std::to_string(l.dialer) + " AND listener=" + std::to_string(l.listener));
    Duration backoff = seconds(10);
    for (std::int64_t i = 1; i < fails && backoff < seconds(300); ++i)
      backoff *= 2;
    backoff = std::min<Duration>(backoff, seconds(300));
    const auto reconnect = r.scalar(
        "SELECT min(t_connect_ns) FROM connections WHERE t_connect_ns > " + std::to_string(H) +
        " AND dialer=" + std::to_string(l.dialer) + " AND listener=" + std::to_string(l.listener));
    CAPTURE(l.dialer_name);
    CAPTURE(l.listener_name);
    CHECK(reconnect > H);
    // the dial pending at the heal finishes within connect timeout + back-off + one RTT
    CHECK(reconnect <= std::max(last_fail, H) + backoff + seconds(10) + seconds(1));
    CHECK(r.scalar("SELECT open_at_end FROM connections WHERE t_connect_ns = " +
                   std::to_string(reconnect)) == 1);
  }
}

TEST_CASE("faults: a one-way partition differs - FINs against the block stall, FINs with it flow") {
  const SimTime P = 10 * kMinute + seconds(15), H = P + 10 * kMinute;
  const auto base = std::string("six_nodes_postfix.yaml");
  const auto group_a = "[50.28.104.50, 64.91.241.10, 165.84.215.117]";
  const auto group_b = "[165.232.154.150, 178.128.199.144, 69.167.168.176]";
  const auto one_way =
      with_faults(base, std::string("faults:\n  - {kind: partition, at: 10m15s, for: 10m, from: ") +
                            group_a + ", to: " + group_b + "}\n");
  auto r = run(one_way, 4, 30 * kMinute);
  const auto first = r.rows(
      "SELECT dialer, listener, t_connect_ns, t_close_ns, close_reason, t_closed_listener_ns FROM "
      "connections "
      "WHERE conn_id IN (SELECT min(conn_id) FROM connections GROUP BY dialer, listener)");
  int a_dialers = 0, b_dialers = 0;
  for (const auto& row : first) {
    const auto d = std::stoll(row[0]), l = std::stoll(row[1]);
    if (in_a(d) == in_a(l)) continue;
    CAPTURE(d);
    CAPTURE(l);
    // Either way the ping/pong exchange breaks: A's pings to B stall, or B's pongs to A do...
    // no: B dialers' pings reach A, but A's pongs back are blocked. Both time out.
    CHECK(row[4] == "pong_timeout");
    CHECK(std::stoll(row[3]) == pong_timeout_close(std::stoll(row[2]), P));
    if (in_a(d)) {
      ++a_dialers;  // the dialer's FIN goes A -> B: blocked until the heal
      CHECK(std::stoll(row[5]) >= H);
    } else {
      ++b_dialers;  // the dialer's FIN goes B -> A: flows, the listener learns at once
      CHECK(std::stoll(row[5]) < std::stoll(row[3]) + seconds(1));
    }
  }
  CHECK(a_dialers == 4);
  CHECK(b_dialers == 5);
  // B -> A dials during the partition: the SYN arrives but the SYN-ACK is blocked, so the
  // listener never accepts; A -> B dials: the SYN itself is blocked. Both time out.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_dial_ns > " + std::to_string(P) +
                 " AND t_dial_ns < " + std::to_string(H - seconds(11)) +
                 " AND ((dialer <= 2) != (listener <= 2)) AND close_reason != "
                 "'connect_timeout'") == 0);
}

TEST_CASE("faults: crash then restart - peers notice, reconnect, every row has an ending") {
  const auto sc = with_faults("six_nodes_postfix.yaml", R"(faults:
  - {kind: crash, at: 10m, node: 165.84.215.117, restart_after: 60s}
)");
  auto r = run(sc, 2, 25 * kMinute);
  // X = node 2, 165.84.215.117
  const SimTime crash = 10 * kMinute, restart = crash + seconds(60);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason IN ('none', '') OR "
                 "close_reason IS NULL") == 0);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_close_ns IS NULL AND open_at_end = 0") ==
        0);
  // The link where X listens (165.232.154.150 -> X): the crash ends the connection on X's
  // side; the dialer learns when its next ping reaches the restarted host and is answered
  // with RST (the restart comes before its pong timeout), redials 5 s later, and the new
  // connection stays up.
  const auto rows = r.rows(
      "SELECT conn_id, t_connect_ns, close_reason, closed_by, fault_id, t_closed_dialer_ns, "
      "open_at_end, t_dial_ns FROM connections WHERE listener = 2 ORDER BY conn_id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][2] == "node_stopped");
  CHECK(rows[0][3] == "listener");
  CHECK(rows[0][4] == "1");
  const SimTime learned = std::stoll(rows[0][5]);
  CHECK(learned > restart);
  CHECK(learned < restart + seconds(31));  // the next ping after the restart
  CHECK(std::stoll(rows[1][7]) == learned + seconds(5));
  CHECK(rows[1][6] == "1");
  // X's own outbound links: the crashed side vanished (node_stopped, charged to the fault);
  // the listener never hears of it (no idle timeout), and X dials again after restarting.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 2 AND close_reason = "
                 "'node_stopped' AND fault_id = 1 "
                 "AND closed_by = 'dialer'") == 4);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 2 AND t_dial_ns >= " +
                 std::to_string(restart) + " AND open_at_end = 1") == 4);
  CHECK(r.scalar("SELECT count(*) FROM node_events WHERE node = 2 AND kind = 'crash' AND t_ns = " +
                 std::to_string(crash)) == 1);
  CHECK(
      r.scalar("SELECT count(*) FROM node_events WHERE node = 2 AND kind = 'restart' AND t_ns = " +
               std::to_string(restart)) == 1);
}

TEST_CASE("faults: every byzantine kind is a protocol error row and the nodes keep running") {
  const auto sc = with_faults("six_nodes_postfix.yaml", R"(faults:
  - {kind: corrupt,      at: 2m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: truncate,     at: 3m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: garbage,      at: 4m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: oversize,     at: 5m, from: [50.28.104.50], to: [64.91.241.10], size: 3000000}
  - {kind: old_protocol, at: 6m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: wrong_kind,   at: 7m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: garbage,      at: 8m, from: [64.91.241.10], to: [50.28.104.50]}
)");
  auto r = run(sc, 1, 15 * kMinute);
  // 64.91.241.10 (node 1) listens on the 50.28 -> 64.91 link: each injected line is an error.
  const auto kinds = r.rows(
      "SELECT kind, count(*) FROM protocol_errors WHERE node = 1 GROUP BY kind ORDER BY kind");
  std::map<std::string, std::string> by_kind;
  for (const auto& row : kinds)
    by_kind[row[0]] = row[1];
  CHECK(by_kind["invalid_json"] == "5");
  CHECK(by_kind["duplicate_handshake"] == "1");
  // The dialer (node 0) logs the garbage it received and keeps reading.
  CHECK(r.scalar("SELECT count(*) FROM protocol_errors WHERE node = 0 AND kind = 'invalid_json'") ==
        1);
  // Nobody crashed or dropped the link: all 15 connections are still the first ones.
  CHECK(r.scalar("SELECT count(*) FROM connections") == 15);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1") == 15);
  CHECK(r.scalar("SELECT pings_answered FROM connections WHERE dialer = 0 AND listener = 1") ==
        r.scalar("SELECT pings_answered FROM connections WHERE dialer = 0 AND listener = 5"));
}

TEST_CASE("faults: a latency spike and loss slow the pings down while they hold") {
  const auto sc = with_faults("six_nodes_postfix.yaml", R"(faults:
  - {kind: latency, at: 5m, for: 2m, between: [50.28.104.50, 64.91.241.10], model: fixed, value: 1500ms}
  - {kind: loss, at: 5m, for: 2m, between: [50.28.104.50, 69.167.168.176], loss: 50%}
)");
  auto r = run(sc, 1, 10 * kMinute);
  // a 1.5 s one-way delay each way: an RTT of 3 s for the pings in the window
  CHECK(r.scalar("SELECT rtt_max_ns FROM connections WHERE dialer = 0 AND listener = 1") >=
        seconds(3));
  // 50% loss: some segment needed at least one 200 ms retransmission
  CHECK(r.scalar("SELECT rtt_max_ns FROM connections WHERE dialer = 0 AND listener = 5") >=
        millis(200));
  // the untouched links keep their sub-millisecond RTT
  CHECK(r.scalar("SELECT rtt_max_ns FROM connections WHERE dialer = 1 AND listener = 5") <
        millis(2));
  CHECK(r.scalar("SELECT count(*) FROM connections") == 15);  // slow, not broken
}

TEST_CASE("faults: the rollout's cycling links fall 8 -> 8 -> 5 -> 0, from the model") {
  const auto sc = test::load("topologies/six_nodes_rollout.yaml");
  auto r = run(sc, 1, kHour);
  auto s = sim::summarize(r.db(), 0);
  REQUIRE(s.ok());
  REQUIRE(s->phases.size() == 4);
  // Expected: a phase's cycling links are those whose dialer still runs old code then.
  std::vector<std::uint64_t> expected;
  std::vector<const node::VersionProfile*> version;
  for (const auto& n : sc.nodes)
    version.push_back(n.profile);
  for (std::size_t phase = 0; phase < 4; ++phase) {
    if (phase > 0)
      for (auto n : sc.faults[phase - 1].nodes)
        version[n] = sc.faults[phase - 1].to_profile;
    std::uint64_t cycling = 0;
    for (const auto& l : s->links)
      cycling += !version[l.dialer]->sends_handshake_first;
    expected.push_back(cycling);
  }
  CHECK(expected == std::vector<std::uint64_t>{8, 8, 5, 0});
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(s->phases[i].cycling == expected[i]);
    CHECK(s->phases[i].stable == 15 - expected[i]);
  }
}

TEST_CASE(
    "faults: chaos is drawn from the seed - same seed same faults and rows, other seed differs") {
  const auto sc = with_faults("six_nodes.yaml", R"(chaos:
  rate: 12/h
  kinds: [partition, crash, latency, reset, loss, pause, refuse, garbage]
  min_duration: 20s
  max_duration: 3m
)");
  auto dump = [](const test::Run& r, const char* table) {
    std::string s;
    for (const auto& row : r.rows(std::string("SELECT * FROM ") + table + " ORDER BY 1, 2, 3"))
      for (const auto& c : row)
        s += c + "|";
    return s;
  };
  auto a = run(sc, 21, kHour);
  auto b = run(sc, 21, kHour);
  auto c = run(sc, 22, kHour);
  CHECK(a.scalar("SELECT count(*) FROM faults WHERE source = 'chaos'") >= 5);
  CHECK(dump(a, "faults") == dump(b, "faults"));
  CHECK(dump(a, "connections") == dump(b, "connections"));
  CHECK(dump(a, "protocol_errors") == dump(b, "protocol_errors"));
  CHECK(dump(a, "faults") != dump(c, "faults"));
  CHECK(a.scalar("SELECT count(*) FROM connections WHERE fault_id IS NOT NULL") > 0);
}

TEST_CASE("faults: the stream checks fail the run loudly when the link model is broken") {
  // A crash with a restart leaves bytes in flight for connections that ended (orphans).
  const auto sc = with_faults("six_nodes_postfix.yaml", R"(faults:
  - {kind: partition, at: 1m, for: 5m, groups: [[50.28.104.50], [64.91.241.10]]}
  - {kind: crash, at: 2m, node: 69.167.168.176, restart_after: 30s}
)");
  for (auto [sabotage, expect] :
       {std::pair{sim::TestSabotage::kCorruptDelivery, "does not match the bytes sent there"},
        std::pair{sim::TestSabotage::kDropSegment, "at its end: sent "},
        std::pair{sim::TestSabotage::kLeakSegment, "bytes of ended connections unaccounted"}}) {
    const std::string expected = expect;
    CAPTURE(expected);
    sim::World w(sc, 1, nullptr);
    w.set_test_sabotage(sabotage);
    auto res = w.run(10 * kMinute);
    REQUIRE_FALSE(res.ok());
    CAPTURE(res.error().message);
    CHECK(res.error().message.find(expect) != std::string::npos);
  }
  sim::World ok(sc, 1, nullptr);
  CHECK(ok.run(10 * kMinute).ok());
}

TEST_CASE("faults: bad fault YAML names file:line:col") {
  const std::string nodes =
      "nodes:\n  - {name: a, ip: 1.1.1.1, version: pre-fix}\n  - {name: b, ip: 2.2.2.2, version: "
      "post-fix}\n";
  struct Case {
    std::string yaml;
    const char* expect;
  };
  const Case cases[] = {
      {"faults:\n  - {kind: meteor, at: 1m}\n", "t.yaml:5:12: unknown fault kind 'meteor'"},
      {"faults:\n  - {kind: crash, at: 1m, node: zz}\n",
       "t.yaml:5:33: unknown node 'zz' in 'nodes'"},
      {"faults:\n  - {kind: partition, at: 1m, groups: [[a], [b]], speed: 3}\n",
       "t.yaml:5:51: unknown key 'speed'"},
      {"faults:\n  - {kind: loss, at: 1m, loss: 2}\n", "t.yaml:5:32: 'loss' must be a fraction"},
      {"faults:\n  - {kind: partition, at: 1m}\n", "needs 'groups'"},
      {"faults:\n  - {kind: latency, at: 1m, for: 1m, until: 3m, model: fixed, value: 1s}\n",
       "use either 'for' or 'until'"},
      {"upgrades:\n  - {at: 1m, nodes: [a], to: v9}\n", "t.yaml:5:30: unknown version 'v9'"},
      {"chaos:\n  rate: lots\n  kinds: [crash]\n", "t.yaml:5:9: chaos 'rate'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    auto s = sim::parse_scenario(nodes + c.yaml, "t.yaml");
    REQUIRE_FALSE(s.ok());
    CAPTURE(s.error().message);
    CHECK(s.error().message.find(c.expect) != std::string::npos);
  }
}
