// Fault injection scenario tests: expected times come from the protocol timers
// (ping every 30 s, check every 10 s, a ping is missed when older than 90 s, 3 misses
// close; no connect timeout, so an unanswered dial fails at the kernel's SYN give-up, 127 s;
// back-off 10 s doubling; inbound keepalive 30 s + 9 x 10 s), never from a previous run.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "analysis/summary.h"
#include "sim/linux_tcp.h"
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

// The last outbound ping sent before `cut` (pings at t_connect and every interval after).
SimTime last_ping_before(SimTime t_connect, SimTime cut) {
  const Duration iv = node::find_profile("post-fix")->timers.ping_interval_ns;
  return t_connect + ((cut - 1 - t_connect) / iv) * iv;
}

// How long after its last received segment a listener whose dialer stopped answering drops
// the connection: the keepalive idle time, then tcp_keepalive_probes unanswered probes.
Duration keepalive_death() {
  const auto& k = node::find_profile("post-fix")->inbound_keepalive;
  return k.idle_ns + sim::linux_tcp::kKeepaliveProbes * k.interval_ns;
}

}  // namespace

TEST_CASE(
    "faults: a symmetric partition - listeners drop cross links by keepalive, dialers at the pong "
    "timeout, dials fail at the SYN give-up, heal") {
  const SimTime P = 10 * kMinute + seconds(15), H = P + 10 * kMinute;
  const auto sc = with_faults("six_nodes_postfix.yaml", R"(faults:
  - {kind: partition, at: 10m15s, for: 10m, groups: [[50.28.104.50, 64.91.241.10, 165.84.215.117],
                                                     [165.232.154.150, 178.128.199.144, 69.167.168.176]]}
)");
  const std::uint64_t seed = 4;
  CAPTURE(seed);
  auto r = run(sc, seed, 40 * kMinute);
  // The first connection of each cross link: the listener's keepalive drops it first (120 s
  // after the last ping that got through), then the dialer's pong timeout closes its side;
  // neither hears of the other while the partition holds.
  CHECK(keepalive_death() == seconds(120));
  const auto first = r.rows(
      "SELECT dialer, listener, t_connect_ns, t_close_ns, close_reason, closed_by, "
      "t_closed_listener_ns, "
      "fault_id, t_closed_dialer_ns FROM connections WHERE conn_id IN (SELECT min(conn_id) FROM "
      "connections GROUP BY dialer, listener)");
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
    const SimTime tc = std::stoll(row[2]);
    CHECK(row[4] == "keepalive_timeout");
    CHECK(row[5] == "listener");
    const SimTime dropped = std::stoll(row[3]) - last_ping_before(tc, P);  // ping's latency < 1 s
    CHECK(dropped > keepalive_death());
    CHECK(dropped < keepalive_death() + seconds(1));
    CHECK(row[6] == row[3]);
    CHECK(std::stoll(row[8]) == pong_timeout_close(tc, P));  // the dialer, unaware of it
    CHECK(std::stoll(row[8]) > std::stoll(row[3]));
    CHECK(row[7] == "1");  // charged to the partition
  }
  CHECK(cross == 9);
  // While it holds, a cross-link dial's SYNs (0, 1, 3, ... 63 s) go unanswered: with no
  // connect timeout the kernel gives up at 127 s; then the dialer backs off 10 s, 20 s, ...
  // A dial whose last SYN goes out before the heal fails too.
  for (const auto& [d, l] : std::vector<std::pair<int, int>>{{3, 0}, {2, 4}}) {
    const auto dials =
        r.rows("SELECT t_dial_ns, t_close_ns, close_reason FROM connections WHERE dialer = " +
               std::to_string(d) + " AND listener = " + std::to_string(l) + " AND t_dial_ns > " +
               std::to_string(P) + " AND t_dial_ns < " +
               std::to_string(H - sim::linux_tcp::syn_send_offset(sim::linux_tcp::kSynRetries)) +
               " ORDER BY t_dial_ns");
    REQUIRE(dials.size() >= 3);
    Duration expect = seconds(10);
    for (std::size_t i = 0; i < dials.size(); ++i) {
      CHECK(dials[i][2] == "connect_timeout");
      CHECK(std::stoll(dials[i][1]) - std::stoll(dials[i][0]) == sim::linux_tcp::kSynGiveUp);
      if (i == 0) continue;
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
    // the dial pending at the heal connects at its next SYN (at most 32 s apart), or fails
    // and the next dial connects after the back-off; plus one RTT
    CHECK(reconnect <= std::max(last_fail + backoff, H + seconds(32)) + seconds(1));
    CHECK(r.scalar("SELECT open_at_end FROM connections WHERE t_connect_ns = " +
                   std::to_string(reconnect)) == 1);
  }
}

TEST_CASE(
    "faults: a one-way partition differs - a listener cut off from its dialer drops it by "
    "keepalive and its RST flows, a dialer whose pongs are blocked times out and its FIN flows") {
  const SimTime P = 10 * kMinute + seconds(15), H = P + 10 * kMinute;
  const auto base = std::string("six_nodes_postfix.yaml");
  const auto group_a = "[50.28.104.50, 64.91.241.10, 165.84.215.117]";
  const auto group_b = "[165.232.154.150, 178.128.199.144, 69.167.168.176]";
  const auto one_way =
      with_faults(base, std::string("faults:\n  - {kind: partition, at: 10m15s, for: 10m, from: ") +
                            group_a + ", to: " + group_b + "}\n");
  auto r = run(one_way, 4, 30 * kMinute);
  const auto first = r.rows(
      "SELECT dialer, listener, t_connect_ns, t_close_ns, close_reason, t_closed_listener_ns, "
      "t_closed_dialer_ns, closed_by FROM connections "
      "WHERE conn_id IN (SELECT min(conn_id) FROM connections GROUP BY dialer, listener)");
  int a_dialers = 0, b_dialers = 0;
  for (const auto& row : first) {
    const auto d = std::stoll(row[0]), l = std::stoll(row[1]);
    if (in_a(d) == in_a(l)) continue;
    CAPTURE(d);
    CAPTURE(l);
    const SimTime tc = std::stoll(row[2]);
    if (in_a(d)) {
      // A's pings to the B listener stall: its keepalive probes go out (B -> A flows) but
      // their ACKs are blocked, so it drops the connection and its RST reaches the dialer.
      ++a_dialers;
      CHECK(row[4] == "keepalive_timeout");
      CHECK(row[7] == "listener");
      const SimTime dropped = std::stoll(row[3]) - last_ping_before(tc, P);
      CHECK(dropped > keepalive_death());
      CHECK(dropped < keepalive_death() + seconds(1));
      CHECK(std::stoll(row[6]) > std::stoll(row[3]));  // the dialer is reset one latency later
      CHECK(std::stoll(row[6]) < std::stoll(row[3]) + seconds(1));
    } else {
      // B's pings reach A (A's keepalive stays idle) but A's pongs back are blocked: the
      // dialer's pong timeout; its FIN goes B -> A and flows, the listener learns at once.
      ++b_dialers;
      CHECK(row[4] == "pong_timeout");
      CHECK(std::stoll(row[3]) == pong_timeout_close(tc, P));
      CHECK(std::stoll(row[5]) < std::stoll(row[3]) + seconds(1));
    }
  }
  CHECK(a_dialers == 4);
  CHECK(b_dialers == 5);
  // B -> A dials during the partition: the SYN arrives but the SYN-ACK is blocked, so the
  // listener never accepts; A -> B dials: the SYN itself is blocked. Both fail at the SYN
  // give-up, if their last SYN (63 s after the dial) goes out before the heal.
  const Duration last_syn = sim::linux_tcp::syn_send_offset(sim::linux_tcp::kSynRetries);
  const std::string during = " WHERE t_dial_ns > " + std::to_string(P) + " AND t_dial_ns < " +
                             std::to_string(H - last_syn) +
                             " AND ((dialer <= 2) != (listener <= 2))";
  CHECK(r.scalar("SELECT count(*) FROM connections" + during) > 0);
  CHECK(r.scalar("SELECT count(*) FROM connections" + during +
                 " AND (close_reason != 'connect_timeout' OR t_close_ns - t_dial_ns != " +
                 std::to_string(sim::linux_tcp::kSynGiveUp) + ")") == 0);
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

TEST_CASE(
    "faults: every byzantine kind is a protocol error row - a line that is not UTF-8 ends the "
    "connection, a bad line is one violation, the nodes keep running") {
  // Each kind on its own link, so no IP collects more than one violation (no ban). Links
  // (dialer -> listener): 0->1 50.28->64.91, 0->5 50.28->69.167, 1->5 64.91->69.167,
  // 2->0 165.84->50.28, 2->1 165.84->64.91, 2->4 165.84->178.128.
  const auto sc = with_faults("six_nodes_postfix.yaml", R"(faults:
  - {kind: corrupt,      at: 2m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: truncate,     at: 3m, from: [50.28.104.50], to: [69.167.168.176]}
  - {kind: garbage,      at: 4m, from: [64.91.241.10], to: [69.167.168.176]}
  - {kind: oversize,     at: 5m, from: [165.84.215.117], to: [50.28.104.50], size: 3000000}
  - {kind: old_protocol, at: 6m, from: [165.84.215.117], to: [64.91.241.10]}
  - {kind: wrong_kind,   at: 7m, from: [165.84.215.117], to: [178.128.199.144]}
  - {kind: garbage,      at: 8m, from: [64.91.241.10], to: [50.28.104.50]}
)");
  auto r = run(sc, 1, 15 * kMinute);
  const auto errors = r.rows("SELECT node, kind, t_ns FROM protocol_errors ORDER BY t_ns");
  // corrupt (high-bit bytes) and garbage (random bytes) are not UTF-8: tokio's read_line
  // fails and the message loop ends, on the inbound (2m, 4m) and the outbound side (8m)
  // alike. truncate, oversize (read whole: no limit) and old_protocol after the handshake
  // are JSON errors. The second Handshake is logged by the listener.
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"1", "invalid_utf8"}, {"5", "invalid_json"}, {"5", "invalid_utf8"},
      {"0", "invalid_json"}, {"1", "invalid_json"}, {"4", "duplicate_handshake"},
      {"0", "invalid_utf8"}};
  REQUIRE(errors.size() == expected.size());
  for (std::size_t i = 0; i < errors.size(); ++i) {
    CAPTURE(i);
    CHECK(errors[i][0] == expected[i].first);
    CHECK(errors[i][1] == expected[i].second);
    const SimTime at = (2 + static_cast<SimTime>(i)) * kMinute;  // within a latency
    CHECK(std::stoll(errors[i][2]) > at);
    CHECK(std::stoll(errors[i][2]) < at + seconds(1));
  }
  // One violation per IP and listener: nobody is banned.
  CHECK(r.scalar("SELECT count(*) FROM bans") == 0);
  // The three UTF-8 endings: two closed by their listener, one by its dialer, each redialled
  // 5 s later for good. The JSON errors closed nothing.
  const auto ended = r.rows(
      "SELECT dialer, listener, close_reason, closed_by FROM connections WHERE open_at_end = 0 "
      "ORDER BY t_close_ns");
  REQUIRE(ended.size() == 3);
  CHECK(ended[0] == std::vector<std::string>{"0", "1", "invalid_utf8", "listener"});
  CHECK(ended[1] == std::vector<std::string>{"1", "5", "invalid_utf8", "listener"});
  CHECK(ended[2] == std::vector<std::string>{"0", "1", "invalid_utf8", "dialer"});
  CHECK(r.scalar("SELECT count(*) FROM connections") == 18);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1") == 15);
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
