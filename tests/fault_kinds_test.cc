// Scenario tests for the fault kinds fault_test.cc does not cover: pause (and overlapping
// pauses), bandwidth, reset, refuse, crash without restart, an upgrade from `faults:`, and
// clock skew. Expected times come from the protocol timers and the fault parameters.
//
// six_nodes_postfix.yaml, by index: 0 50.28.104.50 (us-mi), 1 64.91.241.10 (us-mi),
// 2 165.84.215.117 (us-ny), 3 165.232.154.150 (eu-fra), 4 178.128.199.144 (ap-sgp),
// 5 69.167.168.176 (us-mi). The string-order dial rule gives the 15 links
// 0->1 0->5 1->5 2->0 2->1 2->4 2->5 3->0 3->1 3->2 3->4 3->5 4->0 4->1 4->5.
#include <doctest/doctest.h>

#include <fstream>

#include "node_core/codec.h"
#include "node_core/node.h"
#include "sim/linux_tcp.h"
#include "test_util.h"

using namespace ts;
using ts::test::run;

namespace {

sim::Scenario postfix_with(const std::string& yaml,
                           const std::string& base = "six_nodes_postfix.yaml") {
  std::ifstream in(test::source_path("topologies/" + base));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto sc = sim::parse_scenario(text + yaml, base);
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

const node::ProtocolTimers& timers() {
  return node::find_profile("post-fix")->timers;
}

// First outbound ping tick (t_connect + k * interval) at or after `t`.
SimTime first_tick_at_or_after(SimTime t_connect, SimTime t) {
  const Duration iv = timers().ping_interval_ns;
  const std::int64_t k = (t - t_connect + iv - 1) / iv;
  return t_connect + k * iv;
}

// Back-off before the n-th retry (n >= 1): 10 s, 20 s, 40 s, ... capped.
Duration backoff(std::int64_t failures) {
  Duration b = timers().dial_backoff_initial_ns;
  for (std::int64_t i = 1; i < failures && b < timers().dial_backoff_max_ns; ++i)
    b *= 2;
  return std::min(b, timers().dial_backoff_max_ns);
}

std::string link(int d, int l) {
  return " dialer = " + std::to_string(d) + " AND listener = " + std::to_string(l) + " ";
}

}  // namespace

TEST_CASE("faults: pause freezes a node - its peers' pings wait, it sends none, nothing closes") {
  // Two overlapping pauses: the node stays frozen until the later one ends.
  const SimTime P = 10 * kMinute + seconds(15), R = P + seconds(45);
  const auto sc = postfix_with(R"(faults:
  - {kind: pause, at: 10m15s, for: 45s, node: 165.84.215.117}
  - {kind: pause, at: 10m20s, for: 10s, node: 165.84.215.117}
)");
  auto r = run(sc, 3, 20 * kMinute);
  CHECK(r.scalar("SELECT count(*) FROM connections") == 15);  // a 45 s freeze < pong timeout
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1") == 15);
  CHECK(r.scalar("SELECT count(*) FROM node_events WHERE node = 2 AND kind = 'pause'") == 2);
  // 3 -> 2: node 3's first ping after the freeze began waits for the resume (R) to be
  // answered: its round trip is at least R - (its send time).
  const SimTime tc = r.scalar("SELECT t_connect_ns FROM connections WHERE" + link(3, 2));
  const SimTime s1 = first_tick_at_or_after(tc, P);
  REQUIRE(s1 < R);
  CAPTURE(s1);
  const auto rtt = r.scalar("SELECT rtt_max_ns FROM connections WHERE" + link(3, 2));
  CHECK(rtt >= R - s1);
  CHECK(rtt <= R - s1 + timers().ping_interval_ns + seconds(1));
  // Node 2's own outbound links: its ping timers were frozen, so no ping of its own was in
  // flight across the freeze - their round trips stay at the link latency (< 1 s).
  CHECK(r.scalar("SELECT max(rtt_max_ns) FROM connections WHERE dialer = 2") < seconds(1));
  // ... its ping tick due during the freeze fired at the resume, and the schedule runs
  // from there: 2 connect-path pings, the ticks before P, then R, R + interval, ...
  const SimTime end = 20 * kMinute;
  const SimTime tc2 = r.scalar("SELECT t_connect_ns FROM connections WHERE" + link(2, 0));
  std::int64_t expect = 2;
  for (SimTime t = tc2 + timers().ping_interval_ns; t < P; t += timers().ping_interval_ns)
    ++expect;
  for (SimTime t = R; t <= end; t += timers().ping_interval_ns)
    ++expect;
  CHECK(r.scalar("SELECT pings_sent FROM connections WHERE" + link(2, 0)) == expect);
}

TEST_CASE("faults: a bandwidth limit adds serialisation delay and queueing, one way only") {
  const std::int64_t bps = 8000;
  const auto sc = postfix_with(R"(faults:
  - {kind: bandwidth, at: 0s, from: [50.28.104.50], to: [64.91.241.10], bps: 8000}
)");
  auto r = run(sc, 1, 5 * kMinute);
  // One Ping segment (line + 40 bytes of headers) takes at least this long to serialise.
  const std::size_t ping_bytes = node::encode(node::Ping{0, 1766106000}).size() + 40;
  const Duration ser = static_cast<Duration>(ping_bytes * 8 * kSecond / bps);
  CAPTURE(ser);
  // 0 -> 1 is limited in the dialer's direction: every ping waits its serialisation ...
  CHECK(r.scalar("SELECT rtt_min_ns FROM connections WHERE" + link(0, 1)) >= ser);
  // ... and the connect path's two back-to-back pings (after the Handshake) queue.
  CHECK(r.scalar("SELECT rtt_max_ns FROM connections WHERE" + link(0, 1)) >= 2 * ser);
  // The reverse-direction link 1 -> 5 and 0 -> 5 (same region) are untouched: < 2 ms.
  CHECK(r.scalar("SELECT rtt_max_ns FROM connections WHERE" + link(1, 5)) < millis(2));
  CHECK(r.scalar("SELECT rtt_max_ns FROM connections WHERE" + link(0, 5)) < millis(2));
  CHECK(r.scalar("SELECT count(*) FROM connections") == 15);  // slow, not broken
}

TEST_CASE("faults: reset ends the chosen links at once on both sides - dialers reconnect") {
  const SimTime T = 10 * kMinute;
  const auto sc = postfix_with(R"(faults:
  - {kind: reset, at: 10m, between: [50.28.104.50, 64.91.241.10]}
)");
  auto r = run(sc, 1, 15 * kMinute);
  const auto rows = r.rows(
      "SELECT t_close_ns, t_closed_dialer_ns, t_closed_listener_ns, close_reason, closed_by, "
      "fault_id, t_dial_ns, open_at_end FROM connections WHERE" +
      link(0, 1) + "ORDER BY conn_id");
  REQUIRE(rows.size() == 2);
  CHECK(std::stoll(rows[0][0]) == T);
  CHECK(std::stoll(rows[0][1]) == T);
  CHECK(std::stoll(rows[0][2]) == T);
  CHECK(rows[0][3] == "reset");
  CHECK(rows[0][4] == "none");  // the path, not either end
  CHECK(rows[0][5] == "1");
  CHECK(std::stoll(rows[1][6]) == T + timers().reconnect_delay_ns);
  CHECK(rows[1][7] == "1");
  // every other link keeps its first connection
  CHECK(r.scalar("SELECT count(*) FROM connections") == 16);

  // A fraction of all links: some but not all are reset, the same ones for the same seed.
  const auto half = postfix_with("faults:\n  - {kind: reset, at: 10m, fraction: 1/2}\n");
  auto a = run(half, 5, 12 * kMinute);
  auto b = run(half, 5, 12 * kMinute);
  const auto reset_links = [](const test::Run& x) {
    std::string s;
    for (const auto& row :
         x.rows("SELECT dialer, listener FROM connections WHERE close_reason = 'reset' "
                "ORDER BY dialer, listener"))
      s += row[0] + ">" + row[1] + " ";
    return s;
  };
  const auto n =
      a.scalar("SELECT count(*) FROM connections WHERE close_reason = 'reset' AND fault_id = 1");
  CHECK(n > 0);
  CHECK(n < 15);
  CHECK(reset_links(a) == reset_links(b));
}

TEST_CASE("faults: refuse answers dials with RST while it holds - dialers back off, then connect") {
  const SimTime end = 2 * kMinute;
  const auto sc =
      postfix_with("faults:\n  - {kind: refuse, at: 0s, for: 2m, node: 64.91.241.10}\n");
  auto r = run(sc, 1, 10 * kMinute);
  for (int d : {0, 2, 3, 4}) {  // the nodes that dial node 1
    CAPTURE(d);
    const auto dials = r.rows(
        "SELECT t_dial_ns, t_close_ns, close_reason, fault_id, t_connect_ns, open_at_end "
        "FROM connections WHERE" +
        link(d, 1) + "ORDER BY conn_id");
    REQUIRE(dials.size() >= 4);
    std::size_t i = 0;
    for (; i < dials.size() && std::stoll(dials[i][0]) < end; ++i) {
      CHECK(dials[i][2] == "connect_refused");
      CHECK(dials[i][3] == "1");
      if (i > 0)
        CHECK(std::stoll(dials[i][0]) - std::stoll(dials[i - 1][1]) ==
              backoff(static_cast<std::int64_t>(i)));
    }
    REQUIRE(i >= 3);
    REQUIRE(i < dials.size());
    // The first dial after the port opens connects, within the last back-off of the end.
    CHECK(dials[i][4] != "NULL");
    CHECK(std::stoll(dials[i][0]) <= end + backoff(static_cast<std::int64_t>(i)));
    CHECK(dials.back()[5] == "1");
  }
  // Node 1's own dial (1 -> 5) is not affected: refusing is about accepting.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + link(1, 5)) == 1);
}

TEST_CASE("faults: a crash without restart - pong timeout for its dialers, dials time out") {
  const SimTime C = 10 * kMinute + seconds(15);
  const auto sc = postfix_with("faults:\n  - {kind: crash, at: 10m15s, node: 165.84.215.117}\n");
  auto r = run(sc, 2, 25 * kMinute);
  // 3 -> 2: the pings stop being answered at the crash; the pong timeout closes the link
  // when the max_missed-th unanswered ping passes the timeout at a check.
  const auto rows = r.rows(
      "SELECT t_connect_ns, t_close_ns, close_reason, closed_by, fault_id, t_closed_listener_ns "
      "FROM connections WHERE" +
      link(3, 2) + "ORDER BY conn_id");
  REQUIRE(rows.size() >= 3);
  const SimTime tc = std::stoll(rows[0][0]);
  // node 2 crashed, so its listener side ended first (vanished): node_stopped, at C
  CHECK(rows[0][2] == "node_stopped");
  CHECK(std::stoll(rows[0][1]) == C);
  CHECK(rows[0][4] == "1");
  // the dialer (3) learns only by its pong timeout
  const SimTime s1 = first_tick_at_or_after(tc, C - seconds(1));
  SimTime miss_at = tc;  // the check that sees the max_missed-th ping older than the timeout
  const SimTime last = s1 + (timers().max_missed_pongs - 1) * timers().ping_interval_ns;
  while (miss_at - last <= timers().ping_timeout_ns)
    miss_at += timers().ping_check_interval_ns;
  CHECK(r.scalar("SELECT t_closed_dialer_ns FROM connections WHERE" + link(3, 2) +
                 "ORDER BY conn_id LIMIT 1") == miss_at);
  // Afterwards the host stays down: each dial's SYNs go unanswered and, with no connect
  // timeout at the incident commits, the kernel gives up after its SYN retries (127 s);
  // then the dialer backs off 10 s, 20 s, ... The last dial may still be waiting at the end.
  const auto dials =
      r.rows("SELECT t_dial_ns, t_close_ns, close_reason FROM connections WHERE" + link(3, 2) +
             "AND conn_id > (SELECT min(conn_id) FROM connections WHERE" + link(3, 2) +
             ") ORDER BY conn_id");
  REQUIRE(dials.size() >= 2);
  for (std::size_t i = 0; i < dials.size(); ++i) {
    CAPTURE(i);
    if (i + 1 == dials.size() && dials[i][2] == "end_of_run") break;
    CHECK(dials[i][2] == "connect_timeout");
    CHECK(std::stoll(dials[i][1]) - std::stoll(dials[i][0]) == sim::linux_tcp::kSynGiveUp);
    if (i + 1 < dials.size())
      CHECK(std::stoll(dials[i + 1][0]) - std::stoll(dials[i][1]) ==
            backoff(static_cast<std::int64_t>(i) + 1));
  }
  // Node 2's outbound links vanished. Their listeners' keepalive (30 s idle, then 9
  // unanswered probes 10 s apart) drops them 120 s after the last segment node 2 sent, its
  // last ping (which arrived within a second).
  const auto& ka = node::find_profile("post-fix")->inbound_keepalive;
  const Duration keepalive_death = ka.idle_ns + sim::linux_tcp::kKeepaliveProbes * ka.interval_ns;
  CHECK(keepalive_death == seconds(120));
  const auto gone = r.rows(
      "SELECT t_last_ping_ns, t_closed_listener_ns, close_reason, open_at_end FROM connections "
      "WHERE dialer = 2 AND t_close_ns = " +
      std::to_string(C));
  REQUIRE(gone.size() == 4);
  for (const auto& g : gone) {
    CHECK(g[2] == "node_stopped");  // the connection's first ending: the crash
    CHECK(g[3] == "0");
    const SimTime death = std::stoll(g[1]) - std::stoll(g[0]);
    CHECK(death > keepalive_death);
    CHECK(death < keepalive_death + seconds(1));
  }
  CHECK(r.scalar("SELECT count(*) FROM node_events WHERE node = 2 AND kind = 'restart'") == 0);
}

TEST_CASE(
    "faults: an upgrade in faults: stops with FIN, refuses during restart_delay, returns on the "
    "new version") {
  const SimTime U = 10 * kMinute, back = U + seconds(20);
  const auto sc = postfix_with(
      "faults:\n  - {kind: upgrade, at: 10m, node: 178.128.199.144, to: post-fix, restart_delay: "
      "20s}\n",
      "six_nodes.yaml");
  auto r = run(sc, 1, 20 * kMinute);
  CHECK(
      r.scalar("SELECT count(*) FROM node_events WHERE node = 4 AND kind = 'upgrade' AND t_ns = " +
               std::to_string(U) + " AND detail = 'pre-fix -> post-fix'") == 1);
  // 2 -> 4 (post-fix dialer, stable): node 4's process stops and its kernel sends FIN: the
  // dialer sees it one latency later (us-ny <-> ap-sgp ~120 ms) and redials 5 s later.
  const auto rows = r.rows(
      "SELECT t_close_ns, close_reason, closed_by, fault_id, t_closed_dialer_ns, t_dial_ns, "
      "t_connect_ns, listener_version FROM connections WHERE" +
      link(2, 4) + "ORDER BY conn_id");
  REQUIRE(rows.size() >= 3);
  CHECK(std::stoll(rows[0][0]) == U);
  CHECK(rows[0][1] == "node_stopped");
  CHECK(rows[0][2] == "listener");
  CHECK(rows[0][3] == "1");
  const SimTime fin = std::stoll(rows[0][4]);
  CHECK(fin > U);
  CHECK(fin < U + seconds(1));
  CHECK(std::stoll(rows[1][5]) == fin + timers().reconnect_delay_ns);
  // dials that reach the closed port before `back` are refused and charged to the upgrade
  std::size_t i = 1;
  for (; i < rows.size() && std::stoll(rows[i][5]) < back - seconds(1); ++i) {
    CHECK(rows[i][1] == "connect_refused");
    CHECK(rows[i][3] == "1");
  }
  CHECK(i >= 2);
  REQUIRE(i < rows.size());
  CHECK(rows.back()[6] != "NULL");
  CHECK(rows.back()[7] == "post-fix");
  // Node 4's own dials after the restart run post-fix and stay up (they no longer cycle).
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 4 AND t_dial_ns >= " +
                 std::to_string(back) + " AND dialer_version = 'post-fix' AND open_at_end = 1") ==
        3);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 4 AND t_dial_ns >= " +
                 std::to_string(back)) == 3);
}

TEST_CASE("faults: clock skew moves the node's ping timestamps, not its timers") {
  // Node level: a Ping carries the skewed (and drifting) wall clock.
  node::NodeConfig cfg;
  cfg.ip = "1.1.1.1";
  cfg.clock_epoch_unix_s = 1766106000;
  cfg.peers.push_back(node::PeerAddr{"2.2.2.2", node::kTestnetPort});
  node::Node n(cfg, *node::find_profile("post-fix"), 7);
  const SimTime since = seconds(100), now = since + seconds(1000);
  n.set_clock(-seconds(90), 200, since);  // -90 s, +200 ppm: +0.2 s after 1000 s
  n.handle(0, node::Start{});
  std::vector<node::Output> out;
  n.drain(out);
  n.handle(now, node::Connected{1, node::Direction::kOutbound, 0, {}, 0});
  out.clear();
  n.drain(out);
  int pings = 0;
  for (const auto& o : out) {
    const auto* send = std::get_if<node::Send>(&o);
    if (!send || send->kind != node::MsgKind::kPing) continue;
    std::string_view line(send->bytes);
    line.remove_suffix(1);
    auto m = node::decode_line(line);
    REQUIRE(m.ok());
    // 1100 s of run time - 90 s + 0.2 s of drift = 1010.2 s -> 1010 whole seconds
    CHECK(std::get<node::Ping>(*m).timestamp == 1766106000 + 1010);
    ++pings;
  }
  CHECK(pings == 2);

  // World level: a skewed node keeps every link up (timers are monotonic) and the fault row
  // records its parameters.
  const auto sc = postfix_with(
      "faults:\n  - {kind: clock_skew, at: 0s, node: 165.84.215.117, offset: 90s, drift_ppm: "
      "500}\n");
  auto r = run(sc, 1, 10 * kMinute);
  CHECK(r.scalar("SELECT count(*) FROM connections") == 15);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE pings_missed > 0") == 0);
  const auto params = r.rows("SELECT params FROM faults WHERE kind = 'clock_skew'");
  REQUIRE(params.size() == 1);
  CHECK(params[0][0].find("500") != std::string::npos);
}

TEST_CASE("faults: an upgrade while the node is not running applies at its next start") {
  SUBCASE("crashed (stays down): the operator starts the new version after restart_delay") {
    const SimTime U = 10 * kMinute, back = U + seconds(20);
    const auto sc = postfix_with(R"(faults:
  - {kind: crash, at: 5m, node: 178.128.199.144}
  - {kind: upgrade, at: 10m, node: 178.128.199.144, to: post-fix, restart_delay: 20s}
)",
                                 "six_nodes.yaml");
    auto r = run(sc, 1, 15 * kMinute);
    CHECK(r.scalar(
              "SELECT count(*) FROM node_events WHERE node = 4 AND kind = 'upgrade' AND t_ns = " +
              std::to_string(U) + " AND detail = 'pre-fix -> post-fix (not running)'") == 1);
    CHECK(
        r.scalar("SELECT count(*) FROM node_events WHERE node = 4 AND kind = 'start' AND t_ns = " +
                 std::to_string(back) + " AND detail = 'post-fix'") == 1);
    // nothing of node 4 between the crash and the operator's start
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 4 AND t_dial_ns > " +
                   std::to_string(5 * kMinute) + " AND t_dial_ns < " + std::to_string(back)) == 0);
    // its dials after the start run post-fix and stay up
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 4 AND t_dial_ns >= " +
                   std::to_string(back) + " AND dialer_version = 'post-fix' AND open_at_end = 1") ==
          3);
  }
  SUBCASE("crashed with a restart pending: the restart starts the new version") {
    const auto sc = postfix_with(R"(faults:
  - {kind: crash, at: 5m, node: 178.128.199.144, restart_after: 2m}
  - {kind: upgrade, at: 6m, node: 178.128.199.144, to: post-fix, restart_delay: 5m}
)",
                                 "six_nodes.yaml");
    auto r = run(sc, 1, 15 * kMinute);
    // the crash's restart (7m) comes first and starts post-fix; the upgrade's own start
    // (11m) finds the node running and does nothing
    CHECK(
        r.scalar("SELECT count(*) FROM node_events WHERE node = 4 AND kind = 'start' AND t_ns = " +
                 std::to_string(7 * kMinute) + " AND detail = 'post-fix'") == 1);
    CHECK(r.scalar("SELECT count(*) FROM node_events WHERE node = 4 AND kind = 'start'") == 2);
  }
  SUBCASE("not started yet: it starts on the new version at its start time") {
    auto sc = sim::parse_scenario(R"(nodes:
  - {name: a, ip: 1.1.1.1, version: post-fix}
  - {name: b, ip: 2.2.2.2, version: pre-fix, start: 10m}
faults:
  - {kind: upgrade, at: 5m, node: b, to: post-fix}
)",
                                  "late.yaml");
    REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
    auto r = run(*sc, 1, 15 * kMinute);
    const auto starts =
        r.rows("SELECT t_ns, detail FROM node_events WHERE node = 1 AND kind = 'start'");
    REQUIRE(starts.size() == 1);
    CHECK(std::stoll(starts[0][0]) == 10 * kMinute);
    CHECK(starts[0][1] == "post-fix");
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1 AND listener_version = "
                   "'post-fix'") == 1);
  }
}

TEST_CASE("faults: a pause aimed at a node that is down freezes nothing") {
  const auto sc = postfix_with(R"(faults:
  - {kind: crash, at: 5m, node: 165.84.215.117, restart_after: 1m}
  - {kind: pause, at: 5m30s, for: 10m, node: 165.84.215.117}
)");
  auto r = run(sc, 1, 12 * kMinute);
  CHECK(r.scalar("SELECT count(*) FROM node_events WHERE node = 2 AND kind = 'pause'") == 0);
  // the restarted process (6m) redials at once: its 4 links are up again within a second
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 2 AND t_connect_ns >= " +
                 std::to_string(6 * kMinute) + " AND t_connect_ns < " +
                 std::to_string(6 * kMinute + seconds(1)) + " AND open_at_end = 1") == 4);
}

TEST_CASE(
    "faults: overlapping clock skews - the clock follows the latest, and is corrected when it "
    "ends") {
  const std::int64_t epoch = 1766106000;
  const auto sc = postfix_with(R"(faults:
  - {kind: clock_skew, at: 1m, for: 9m, node: 165.84.215.117, offset: 90s}
  - {kind: clock_skew, at: 2m, for: 10m, node: 165.84.215.117, offset: -30s}
)");
  auto r = run(sc, 1, 15 * kMinute);
  const auto clock = r.rows(
      "SELECT t_ns, detail FROM node_events WHERE node = 2 AND kind = 'clock' ORDER BY t_ns");
  REQUIRE(clock.size() == 3);
  const auto unix_at = [&](SimTime t, Duration offset) {
    return "unix " + std::to_string(epoch + (t + offset) / kSecond);
  };
  CHECK(clock[0][1] == unix_at(kMinute, seconds(90)));
  CHECK(clock[1][1] == unix_at(2 * kMinute, -seconds(30)));
  // 10m: the first skew ends, but the second still holds: no correction then
  CHECK(std::stoll(clock[2][0]) == 12 * kMinute);
  CHECK(clock[2][1] == unix_at(12 * kMinute, 0));
}

TEST_CASE("faults: an RST in flight when a partition starts waits for the heal") {
  // Node 2 crashes and restarts at once; 3 -> 2's next ping reaches the restarted host
  // and is answered with an RST - which a partition starting just then holds back.
  const auto sc = postfix_with(R"(faults:
  - {kind: crash, at: 10m, node: 165.84.215.117, restart_after: 1s}
)");
  auto probe = run(sc, 1, 12 * kMinute);
  // when 3 -> 2's dialer learned of the crash (the RST) without a partition
  const SimTime learned = probe.scalar("SELECT t_closed_dialer_ns FROM connections WHERE" +
                                       link(3, 2) + "ORDER BY conn_id LIMIT 1");
  REQUIRE(learned > 10 * kMinute);
  // the RST left node 2 one latency (us-ny -> eu-fra, >= 36 ms) before: start a partition
  // 10 ms before it arrives, healing 2 minutes later
  const SimTime cut = learned - millis(10);
  const auto sc2 = postfix_with(
      "faults:\n  - {kind: crash, at: 10m, node: 165.84.215.117, restart_after: 1s}\n"
      "  - {kind: partition, at: " +
      std::to_string(cut / kMillisecond) +
      "ms, for: 2m, groups: [[165.84.215.117], "
      "[165.232.154.150]]}\n");
  auto r = run(sc2, 1, 15 * kMinute);
  const SimTime later = r.scalar("SELECT t_closed_dialer_ns FROM connections WHERE" + link(3, 2) +
                                 "ORDER BY conn_id LIMIT 1");
  CHECK(later >= cut + 2 * kMinute);
  CHECK(r.rows("SELECT close_reason FROM connections WHERE" + link(3, 2) +
               "ORDER BY conn_id LIMIT 1")[0][0] == "node_stopped");
}

TEST_CASE(
    "faults: a crash between SYN and ACK - the half-open listener side dies too, RST after "
    "restart") {
  // 3 -> 2 (eu-fra -> us-ny, 42 ms +- 3 ms one way, at least 36 ms): node 3 dials its third
  // peer, node 2, 200 ms after start (100 ms pass spacing). The SYN reaches node 2 by
  // ~260 ms, the ACK not before 308 ms. Node 2 crashes at 290 ms (back 1 s later) in between.
  const SimTime crash = millis(290);
  const auto sc = postfix_with(
      "faults:\n  - {kind: crash, at: 290ms, node: 165.84.215.117, restart_after: 1s}\n");
  auto r = run(sc, 1, 5 * kMinute);
  const auto row = r.rows(
      "SELECT t_connect_ns, t_accept_ns, t_close_ns, close_reason, closed_by, fault_id, "
      "t_closed_dialer_ns FROM connections WHERE" +
      link(3, 2) + "ORDER BY conn_id LIMIT 1");
  REQUIRE(row.size() == 1);
  const SimTime tc = std::stoll(row[0][0]);
  CHECK(tc < crash);
  CHECK(row[0][1] == "NULL");  // never accepted
  CHECK(std::stoll(row[0][2]) == crash);
  CHECK(row[0][3] == "node_stopped");
  CHECK(row[0][4] == "listener");
  CHECK(row[0][5] == "1");
  // the dialer's first ping after the restart (tick at tc + 30 s) is answered with RST
  const SimTime learned = std::stoll(row[0][6]);
  CHECK(learned > tc + timers().ping_interval_ns);
  CHECK(learned < tc + timers().ping_interval_ns + seconds(1));
}

TEST_CASE(
    "faults: chaos with every drawable kind - every run completes and every row is consistent") {
  const auto sc = postfix_with(R"(chaos:
  rate: 60/h
  kinds: [partition, latency, loss, bandwidth, reset, corrupt, truncate, garbage, oversize, old_protocol,
          wrong_kind, refuse, crash, pause, clock_skew]
  min_duration: 5s
  max_duration: 4m
)",
                               "six_nodes.yaml");
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    auto r = run(sc, seed, 2 * kHour);  // the run itself checks the stream invariants
    CHECK(r.scalar("SELECT count(*) FROM faults") >= 60);
    // every connection row has an ending: a close reason, or the open-at-end marker
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason IN ('none', '')") == 0);
    CHECK(
        r.scalar("SELECT count(*) FROM connections WHERE t_close_ns IS NULL AND open_at_end = 0") ==
        0);
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 0 AND t_closed_dialer_ns "
                   "IS NULL") == 0);
    // a fault blamed for an ending exists and had started by then
    CHECK(
        r.scalar(
            "SELECT count(*) FROM connections c LEFT JOIN faults f ON f.fault_id = c.fault_id "
            "WHERE c.fault_id IS NOT NULL AND (f.fault_id IS NULL OR f.start_ns > c.t_close_ns)") ==
        0);
    // times are ordered within each row
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_connect_ns < t_dial_ns OR t_accept_ns "
                   "< t_connect_ns "
                   "OR t_close_ns < t_dial_ns OR t_closed_dialer_ns < t_close_ns OR "
                   "t_closed_listener_ns < "
                   "t_close_ns") == 0);
    // a fault is only named for endings a fault can cause (never the handshake rule's)
    CHECK(r.scalar(
              "SELECT count(*) FROM connections WHERE fault_id IS NOT NULL AND close_reason NOT IN "
              "('node_stopped', 'pong_timeout', 'connect_timeout', 'connect_refused', 'reset', "
              "'retransmit_timeout', 'keepalive_timeout', 'invalid_message', 'line_too_long', "
              "'old_protocol', 'invalid_utf8')") == 0);
  }
}

TEST_CASE("faults: after an hour of chaos every link of an all-fixed network recovers") {
  const auto sc = postfix_with(R"(chaos:
  rate: 60/h
  kinds: [partition, latency, loss, bandwidth, reset, corrupt, truncate, garbage, oversize, old_protocol,
          wrong_kind, refuse, crash, pause, clock_skew]
  end: 1h
  min_duration: 5s
  max_duration: 4m
)");
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    auto r = run(sc, seed, 2 * kHour);
    // every drawn fault is over (crashes restart after their drawn duration) well before
    // the end: the back-off cap (300 s) leaves ample time to reconnect
    REQUIRE(r.scalar("SELECT max(end_ns) FROM faults") < 2 * kHour - 30 * kMinute);
    // each of the 15 links ends with exactly one connection its dialer still holds
    CHECK(r.scalar(
              "SELECT count(*) FROM connections WHERE open_at_end = 1 AND t_connect_ns IS NOT NULL "
              "AND t_closed_dialer_ns IS NULL") == 15);
    CHECK(
        r.scalar(
            "SELECT count(DISTINCT dialer * 100 + listener) FROM connections WHERE open_at_end = 1 "
            "AND t_closed_dialer_ns IS NULL") == 15);
    // the other open rows are listener sides whose dialer crashed (no idle timeout)
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1 AND t_closed_dialer_ns "
                   "IS NOT NULL "
                   "AND close_reason != 'node_stopped'") == 0);
  }
}

TEST_CASE(
    "faults: a partition that never heals - the listener's keepalive drops the link, the dialer "
    "times out, its dials fail at the SYN give-up and it gives up after 10") {
  const SimTime P = 10 * kMinute + seconds(15);
  const auto sc = postfix_with(
      "faults:\n  - {kind: partition, at: 10m15s, groups: [[50.28.104.50], [64.91.241.10]]}\n");
  auto r = run(sc, 1, 2 * kHour);
  const auto first = r.rows(
      "SELECT close_reason, closed_by, t_close_ns, t_connect_ns, fault_id, t_closed_dialer_ns "
      "FROM connections WHERE" +
      link(0, 1) + "ORDER BY conn_id LIMIT 1");
  REQUIRE(first.size() == 1);
  // The listener (64.91) hears nothing after the last ping before the cut: its keepalive
  // (30 s idle + 9 probes x 10 s) drops the connection first, its RST blocked too.
  const auto& ka = node::find_profile("post-fix")->inbound_keepalive;
  const Duration death = ka.idle_ns + sim::linux_tcp::kKeepaliveProbes * ka.interval_ns;
  const SimTime tc = std::stoll(first[0][3]);
  const SimTime last_ping = first_tick_at_or_after(tc, P) - timers().ping_interval_ns;
  CHECK(first[0][0] == "keepalive_timeout");
  CHECK(first[0][1] == "listener");
  CHECK(std::stoll(first[0][2]) - last_ping > death);
  CHECK(std::stoll(first[0][2]) - last_ping < death + seconds(1));
  CHECK(first[0][4] == "1");
  CHECK(std::stoll(first[0][5]) > std::stoll(first[0][2]));  // the dialer: its pong timeout
  // Every later dial on the link fails at the kernel's SYN give-up; none connects. After
  // max_dial_failures_other (10: remote masternodes are never active at the incident
  // commits) consecutive failures the dialer gives up; the next 120 s pass starts afresh.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE" + link(0, 1) +
                 "AND t_connect_ns IS NOT NULL") == 1);
  const auto fails = r.rows("SELECT t_dial_ns, t_close_ns FROM connections WHERE" + link(0, 1) +
                            "AND close_reason = 'connect_timeout' ORDER BY conn_id");
  const std::uint32_t limit = timers().max_dial_failures_other;
  REQUIRE(fails.size() > limit);
  for (std::size_t i = 0; i < limit; ++i) {
    CAPTURE(i);
    CHECK(std::stoll(fails[i][1]) - std::stoll(fails[i][0]) == sim::linux_tcp::kSynGiveUp);
    if (i + 1 < limit)
      CHECK(std::stoll(fails[i + 1][0]) - std::stoll(fails[i][1]) ==
            backoff(static_cast<std::int64_t>(i) + 1));
  }
  CHECK(r.scalar("SELECT min(t_ns) FROM node_events WHERE node = 0 AND peer = 1 AND kind = "
                 "'peer_given_up'") == std::stoll(fails[limit - 1][1]));
  const SimTime next = std::stoll(fails[limit][0]) - std::stoll(fails[limit - 1][1]);
  CHECK(next > 0);
  CHECK(next <= timers().redial_pass_interval_ns + seconds(1));  // the next pass, not a back-off
  // the other 14 links are untouched
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE NOT (" + link(0, 1) + ")") == 14);
}

TEST_CASE(
    "faults: an ending is charged to a fault that can cause it, not just the latest nearby one") {
  // Node 1 is frozen for 4 minutes; meanwhile an injected old-protocol line crosses 4 -> 1
  // (a later fault on the same link). 4's pings go unanswered: its pong timeout is the
  // pause's doing - injected bytes never make a dialer miss pongs.
  const auto sc = postfix_with(R"(faults:
  - {kind: pause, at: 10m15s, for: 4m, node: 64.91.241.10}
  - {kind: old_protocol, at: 12m30s, from: [178.128.199.144], to: [64.91.241.10]}
)");
  auto r = run(sc, 1, 20 * kMinute);
  const auto rows = r.rows("SELECT close_reason, fault_id FROM connections WHERE" + link(4, 1) +
                           "ORDER BY conn_id LIMIT 1");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == "pong_timeout");
  CHECK(rows[0][1] == "1");
  // every dialer of node 1 timed out on the pause
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE listener = 1 AND close_reason = "
                 "'pong_timeout' AND "
                 "fault_id = 1") == 4);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE fault_id = 2") == 0);
  CHECK(r.scalar("SELECT count(*) FROM protocol_errors WHERE node = 1 AND kind = 'invalid_json'") ==
        1);
}

TEST_CASE("faults: an oversized line - unlimited at the incident commits, 2 MB later") {
  // 3 MB from the dialer 3->0 at 5 min. post-fix buffers the whole line and fails to parse
  // it; hypothetical-full-outbound (51218aa: MAX_MESSAGE_SIZE 2,000,000) drops it as it arrives and
  // logs the violation. Neither closes the connection.
  const std::string fault =
      "faults:\n  - {kind: oversize, at: 5m, from: [165.232.154.150], to: [50.28.104.50], size: "
      "3000000}\n";
  for (const char* base : {"six_nodes_postfix.yaml", "six_nodes_full_outbound.yaml"}) {
    CAPTURE(base);
    auto r = run(postfix_with(fault, base), 1, 10 * kMinute);
    const bool limited = std::string(base) == "six_nodes_full_outbound.yaml";
    const auto errors = r.rows("SELECT kind, text, node FROM protocol_errors");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0][2] == "0");  // logged by the listener 50.28.104.50
    if (limited) {
      CHECK(errors[0][0] == "line_too_long");
      CHECK(errors[0][1].find(": 3000000 bytes (max: 2000000)") != std::string::npos);
    } else {
      CHECK(errors[0][0] == "invalid_json");
    }
    CHECK(r.scalar("SELECT count(*) FROM connections") == 15);
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1") == 15);
  }
}
