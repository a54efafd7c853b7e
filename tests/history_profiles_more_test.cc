// Scenario tests for the history profiles tests/history_profiles_test.cc does not cover: each
// runs the built-in profile by name through the whole simulator into a results DB and asserts
// on the rows the behaviour its upstream commit introduces, and runs its predecessor (the
// profile it changes) on the same scenario, so that reverting the commit's fields fails the
// test. Expected values are derived from the commits' constants (docs/history-facts.md, the
// file:line given at each test), never from a previous run's output. Networks are 2-12 nodes
// with fixed 10 ms links (so a message arrives 10 ms after it is written, a TCP connect takes
// 20 ms and a dialer's Handshake arrives 30 ms after the dial).
#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "node_core/profile_fields.h"
#include "node_core/version_profile.h"
#include "test_util.h"

using namespace ts;

namespace {

using Rows = std::vector<std::vector<std::string>>;

// `nodes` is the YAML list body (one "  - {...}" line per node); `extra` goes before it.
sim::Scenario net(const std::string& nodes, const std::string& extra = "") {
  const std::string text =
      "name: history-more\nseed: 1\nduration: 5m\n"
      "latency:\n  default: {model: fixed, value: 10ms}\n" +
      extra + "nodes:\n" + nodes;
  auto sc = sim::parse_scenario(text, "history-more.yaml");
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

std::string nd(const std::string& ip, const std::string& version, const std::string& more = "") {
  return "  - {ip: " + ip + ", version: " + version + more + "}\n";
}

std::string ns(Duration d) {
  return std::to_string(d);
}

// The masternode layer on (heartbeat loop every 60 s, first tick at start; docs/consensus.md);
// `sample_s` > 0 also records each node's view every that many seconds.
std::string consensus(int sample_s = 0) {
  return "consensus: {sample_interval: " + std::to_string(sample_s) + "s}\n";
}

// The t_ns of the messages of `kind` node `node` wrote on connection `conn`, in order.
Rows written(const test::Run& r, std::int64_t conn, std::int64_t node, const std::string& kind) {
  return r.rows("SELECT t_ns FROM messages WHERE conn_id = " + std::to_string(conn) +
                " AND node = " + std::to_string(node) + " AND kind = '" + kind +
                "' ORDER BY t_ns, rowid");
}

Rows times(std::initializer_list<Duration> ts) {
  Rows out;
  for (const auto t : ts)
    out.push_back({ns(t)});
  return out;
}

// The one connection `dialer` -> `listener` whose handshake completed, or -1.
std::int64_t link(const test::Run& r, int dialer, int listener) {
  const auto rows =
      r.rows("SELECT conn_id FROM connections WHERE dialer = " + std::to_string(dialer) +
             " AND listener = " + std::to_string(listener) +
             " AND t_handshake_ns IS NOT NULL ORDER BY t_dial_ns");
  REQUIRE(rows.size() == 1);
  return std::stoll(rows[0][0]);
}

// A profile whose commit the model does not see: every field equals its base's.
void check_same_fields_as_base(const std::string& name) {
  const node::VersionProfile* p = node::find_profile(name);
  REQUIRE(p != nullptr);
  const node::VersionProfile* b = node::find_profile(p->base);
  REQUIRE(b != nullptr);
  for (const auto& f : node::profile_fields()) {
    CAPTURE(f.key);
    CHECK(node::format_field_value(f.type, f.get(*p)) ==
          node::format_field_value(f.type, f.get(*b)));
  }
}

// A run that exercises what a dialer reads and relays: three masternodes, one reset, one
// truncated line, one pause, for `version` on every node. Returns the event fingerprint.
std::uint64_t busy_fingerprint(const std::string& version) {
  const auto sc = net(nd("10.0.0.1", version) + nd("10.0.0.2", version, ", start: 1s") +
                          nd("10.0.0.3", version, ", start: 2s"),
                      consensus(10) +
                          "faults:\n"
                          "  - {kind: reset, at: 70s, between: [10.0.0.1, 10.0.0.2]}\n"
                          "  - {kind: truncate, at: 100s, from: [10.0.0.3], to: [10.0.0.1]}\n"
                          "  - {kind: pause, at: 130s, for: 40s, node: 10.0.0.2}\n");
  auto r = test::run(sc, 1, 4 * kMinute);
  REQUIRE(r.scalar("SELECT count(*) FROM connections WHERE t_handshake_ns IS NOT NULL") >= 3);
  return r.stats.fingerprint;
}

}  // namespace

// 3fcccde, with e1a6086/f0b577d before it: at every heartbeat tick (main.rs:497 at f0b577d:
// every 60 s, first at start) a masternode broadcasts its MasternodeAnnouncement (main.rs:513)
// and GetMasternodes (main.rs:515-518) through peer_registry.broadcast, which writes to the
// registered writers: listener connections only (the dialer's writer is registered only from
// 35af045). The dialer still drops them (peer_connection.rs:441-442 at 3fcccde: "we just
// log"). 10.0.0.1 dials 10.0.0.2 (string rule). In a 250 s run the listener writes both at 60,
// 120, 180 and 240 s (the start-up announcement and the tick at 0 s find no connection); the
// dialer writes neither, and drops Ack + GetPeers + 4 x (announcement, GetMasternodes,
// heartbeat) = 14 messages. post-fix (31ad283) sends neither: it drops Ack, GetPeers and
// the 4 heartbeats.
TEST_CASE("history: registry-loop (3fcccde) - announcements and GetMasternodes every 60 s") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"registry-loop", true}, {"post-fix", false}}) {
    CAPTURE(version);
    const auto sc = net(nd("10.0.0.1", version) + nd("10.0.0.2", version), consensus());
    auto r = test::run(sc, 1, seconds(250), sim::RecordLevel::kMessages);
    const auto conn = link(r, 0, 1);
    const Rows ticks = on ? times({seconds(60), seconds(120), seconds(180), seconds(240)}) : Rows{};
    CHECK(written(r, conn, 1, "MasternodeAnnouncement") == ticks);
    CHECK(written(r, conn, 1, "GetMasternodes") == ticks);
    CHECK(written(r, conn, 0, "MasternodeAnnouncement").empty());
    CHECK(written(r, conn, 0, "GetMasternodes").empty());
    CHECK(r.scalar("SELECT msgs_dropped FROM connections WHERE conn_id = " +
                   std::to_string(conn)) == (on ? 14 : 6));
  }
}

// f9f913d (server.rs:345-355, :362-363): after a valid Handshake the listener sends Ack, one
// MasternodeAnnouncement for every masternode in its registry (get_all()), GetPeers, then
// GetMasternodes. L = 10.0.0.5 runs the profile. Its registry holds itself (main.rs:443-450)
// and D = 10.0.0.9 (dialer-writer, 35af045: its writer is registered, so its 60 s
// announcement reaches L over its dial, and L's listener registers the sender, server.rs:533-556;
// the connection is then 60 s old, past the 5 s gate). C = 10.0.0.1 (same profile as L) starts
// at 90 s and dials L: when C's Handshake arrives L writes Ack, two announcements, GetPeers,
// GetMasternodes. Its predecessor registry-loop (3fcccde) writes Ack, GetPeers.
TEST_CASE("history: announce-on-connect (f9f913d) - the registry's announcements on connect") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"announce-on-connect", true}, {"registry-loop", false}}) {
    CAPTURE(version);
    const auto sc = net(nd("10.0.0.5", version) + nd("10.0.0.9", "dialer-writer") +
                            nd("10.0.0.1", version, ", start: 90s"),
                        consensus());
    auto r = test::run(sc, 1, 2 * kMinute, sim::RecordLevel::kMessages);
    const auto conn = link(r, 2, 0);
    // What L writes when C's Handshake arrives (Pongs for C's two pings follow).
    const auto first = r.rows(
        "SELECT kind FROM messages m WHERE conn_id = " + std::to_string(conn) +
        " AND node = 0 AND kind != 'Pong' AND t_ns = (SELECT t_handshake_ns FROM connections c "
        "WHERE c.conn_id = m.conn_id) ORDER BY rowid");
    if (on)
      CHECK(first == Rows{{"Ack"},
                          {"MasternodeAnnouncement"},
                          {"MasternodeAnnouncement"},
                          {"GetPeers"},
                          {"GetMasternodes"}});
    else
      CHECK(first == Rows{{"Ack"}, {"GetPeers"}});
  }
}

// 341d8f4 (server.rs:688-690): the listener re-broadcasts every HeartbeatBroadcast it
// receives, unconditionally, on the server's broadcast channel, which every listener
// connection forwards. L = 10.0.0.5 runs the profile; D = 10.0.0.9 (dialer-writer) dials L
// (octets) and, its writer registered (35af045), writes its heartbeat at each tick; C =
// 10.0.0.1 (the profile) dials L. On C's connection L writes its own heartbeat at the ticks
// 60 s and 120 s and relays D's, which arrive 10 ms later: 60.00, 60.01, 120.00, 120.01 s. Its
// predecessor announce-on-connect writes only its own.
// Folded in, 80b5edf (peer_connection.rs:527-556, :560-595): the dialer registers the
// announced address of a MasternodeAnnouncement. C dials L and D at start; each listener's
// on-connect announcements (f9f913d) include at least itself, so C's first sample (10 s) sees
// 3 active masternodes; announce-on-connect's dialer drops them: 1 (itself) until D's first
// periodic announcement at 60 s over its dial to C's listener.
TEST_CASE("history: heartbeat-relay (341d8f4) - the listener relays heartbeats") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"heartbeat-relay", true}, {"announce-on-connect", false}}) {
    CAPTURE(version);
    const auto sc =
        net(nd("10.0.0.5", version) + nd("10.0.0.9", "dialer-writer") + nd("10.0.0.1", version),
            consensus(10));
    auto r = test::run(sc, 1, seconds(150), sim::RecordLevel::kMessages);
    const auto conn = link(r, 2, 0);
    CHECK(written(r, conn, 0, "HeartbeatBroadcast") ==
          (on ? times({seconds(60), seconds(60) + millis(10), seconds(120),
                       seconds(120) + millis(10)})
              : times({seconds(60), seconds(120)})));
    CHECK(r.scalar("SELECT active_masternodes FROM samples WHERE node = 2 AND t_ns = " +
                   ns(seconds(10))) == (on ? 3 : 1));
  }
}

// 35af045 (peer_connection.rs:338, :443): the dialer's writer is registered, so
// peer_registry.broadcast (the heartbeat tick's announcement, GetMasternodes and heartbeat,
// main.rs at 925de6b) reaches outbound connections too. 10.0.0.2 dials 10.0.0.1 (octets,
// 346590a): the dialer writes all three at the ticks 60 s and 120 s, and the listener
// registers it from that announcement (server.rs:533-556): from the 70 s sample on it counts
// 2 active masternodes. Its predecessor octet-dial-rule writes none of them on its dial, and
// the listener sees only itself.
TEST_CASE("history: dialer-writer (35af045) - broadcasts reach outbound connections") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"dialer-writer", true}, {"octet-dial-rule", false}}) {
    CAPTURE(version);
    const auto sc = net(nd("10.0.0.1", version) + nd("10.0.0.2", version), consensus(10));
    auto r = test::run(sc, 1, seconds(150), sim::RecordLevel::kMessages);
    const auto conn = link(r, 1, 0);
    const Rows ticks = on ? times({seconds(60), seconds(120)}) : Rows{};
    for (const std::string kind :
         {"MasternodeAnnouncement", "GetMasternodes", "HeartbeatBroadcast"}) {
      CAPTURE(kind);
      CHECK(written(r, conn, 1, kind) == ticks);
    }
    CHECK(r.scalar("SELECT count(*) FROM samples WHERE node = 0 AND t_ns >= " + ns(seconds(70)) +
                   " AND active_masternodes != " + (on ? "2" : "1")) == 0);
    CHECK(r.scalar("SELECT count(*) FROM samples WHERE node = 0 AND t_ns >= " + ns(seconds(70))) >=
          8);
  }
}

// a2e03f1 (peer_connection.rs:150, :180): the dialer's BufReader capacity is 1 MiB; read_line
// reads to '\n' whatever the capacity, so no modelled behaviour changes: the profile equals
// ban-storm-fix field for field, and a run with resets, a bad line and a pause has the same
// event trace.
TEST_CASE("history: buffer-size (a2e03f1) - no modelled change") {
  check_same_fields_as_base("buffer-size");
  CHECK(busy_fingerprint("buffer-size") == busy_fingerprint("ban-storm-fix"));
}

// 53ac100 (server.rs:1488, :1526-1529): a listener's unparsable line that starts with '{' and
// holds more than one '{' is split by brace depth; if that yields at most one object it
// counts as a failed parse *without* a blacklist violation ("appears concatenated but
// couldn't split properly"). A truncated Ping line ({"Ping":{"nonce":... cut in half) is
// such a line. Three of them from 10.0.0.1 to 10.0.0.2's listener (at 30, 40, 50 s) ban
// nobody and the connection stays; with buffer-size (a2e03f1) each is a violation
// (server.rs:753-772) and the third bans 10.0.0.1 for 300 s (blacklist.rs:65-70) and closes.
TEST_CASE("history: concat-json (53ac100) - a brace-y bad line is no violation") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"concat-json", true}, {"buffer-size", false}}) {
    CAPTURE(version);
    const auto sc = net(nd("10.0.0.1", version) + nd("10.0.0.2", version),
                        "faults:\n"
                        "  - {kind: truncate, at: 30s, from: [10.0.0.1], to: [10.0.0.2]}\n"
                        "  - {kind: truncate, at: 40s, from: [10.0.0.1], to: [10.0.0.2]}\n"
                        "  - {kind: truncate, at: 50s, from: [10.0.0.1], to: [10.0.0.2]}\n");
    auto r = test::run(sc, 1, 2 * kMinute);
    const auto conn = std::to_string(link(r, 0, 1));  // 10.0.0.2's listener side
    CHECK(r.scalar("SELECT count(*) FROM protocol_errors WHERE node = 1 AND conn_id = " + conn +
                   " AND kind = 'invalid_json'") == 3);
    CHECK(r.scalar("SELECT count(*) FROM protocol_errors WHERE node = 1 AND conn_id = " + conn +
                   " AND text LIKE '%(appears concatenated but couldn''t split properly)'") ==
          (on ? 3 : 0));
    if (on) {
      CHECK(r.scalar("SELECT count(*) FROM bans") == 0);
      CHECK(r.scalar("SELECT open_at_end FROM connections WHERE conn_id = " + conn) == 1);
    } else {
      CHECK(r.rows("SELECT t_ns, node, banned_ip, violations, duration_ns FROM bans") ==
            Rows{{ns(seconds(50) + millis(10)), "1", "10.0.0.1", "3", ns(seconds(300))}});
      CHECK(r.rows("SELECT close_reason, t_closed_listener_ns FROM connections WHERE conn_id = " +
                   conn) == Rows{{"invalid_message", ns(seconds(50) + millis(10))}});
    }
  }
}

// 126d7ee (client.rs:524, :568, :622; masternode_registry.rs:329): when a dialer's session
// with a registered masternode ends, the masternode is marked inactive until it is heard
// again. Two masternodes dial each other (9fc70f4); each registered the other from the
// listener's own announcement on connect (ae360c0) handled by its dialer (80b5edf). A reset
// at 100 s ends both sessions: each counts only itself active until its redial 5 s later
// (reconnect delay 5 s, client.rs:391) completes at 105.03 s and the on-connect announcement
// registers the peer again. Its predecessor concat-json counts both throughout (offline only
// 180 s after the last heartbeat, masternode_registry.rs monitor).
TEST_CASE(
    "history: mn-inactive-on-disconnect (126d7ee) - a session's end marks the peer "
    "inactive") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"mn-inactive-on-disconnect", true}, {"concat-json", false}}) {
    CAPTURE(version);
    const auto sc =
        net(nd("10.0.0.1", version) + nd("10.0.0.2", version),
            consensus(1) + "faults:\n  - {kind: reset, at: 100s, between: [10.0.0.1, 10.0.0.2]}\n");
    auto r = test::run(sc, 1, seconds(130));
    REQUIRE(r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'reset'") == 2);
    REQUIRE(r.scalar("SELECT count(*) FROM connections WHERE t_dial_ns = " + ns(seconds(105)) +
                     " AND t_handshake_ns = " + ns(seconds(105) + millis(30))) == 2);
    for (const std::int64_t node : {0, 1}) {
      CAPTURE(node);
      const std::string n = std::to_string(node);
      auto active = [&](Duration from, Duration to) {
        return r.rows("SELECT DISTINCT active_masternodes FROM samples WHERE node = " + n +
                      " AND t_ns >= " + ns(from) + " AND t_ns <= " + ns(to));
      };
      CHECK(active(seconds(10), seconds(99)) == Rows{{"2"}});
      CHECK(active(seconds(101), seconds(104)) == Rows{{on ? "1" : "2"}});
      CHECK(active(seconds(106), seconds(130)) == Rows{{"2"}});
    }
  }
}

namespace {
// 10.0.0.1 dials 10.0.0.2 at 0 s (connected 0.02 s); from 10 s on nothing 10.0.0.2 sends
// reaches 10.0.0.1: its Pongs are lost, 10.0.0.1's pings still arrive (no keepalive drop of
// that connection) and no retransmission gives up within the run (924.6 s, docs/faults.md).
// Both are on each other's whitelist. Returns 10.0.0.1's dial row: close reason, dialer close
// time, pings missed.
Rows pongs_lost(const std::string& version) {
  const auto sc =
      net(nd("10.0.0.1", version) + nd("10.0.0.2", version),
          "whitelist: [10.0.0.1, 10.0.0.2]\n"
          "faults:\n  - {kind: partition, at: 10s, from: [10.0.0.2], to: [10.0.0.1]}\n");
  auto r = test::run(sc, 1, 10 * kMinute);
  return r.rows(
      "SELECT close_reason, COALESCE(t_closed_dialer_ns, 'open'), pings_missed FROM connections "
      "WHERE dialer = 0 AND t_connect_ns = " +
      ns(millis(20)));
}
}  // namespace

// 546a294 (peer_connection.rs:381-392): when the pong check fires on a whitelisted peer
// (the blacklist's whitelist, config whitelisted_peers), missed_pongs := 0 and the pending
// pings are cleared instead of disconnecting. Pings every 30 s from the connect at 0.02 s,
// checks every 10 s, a miss = older than 90 s, 3 misses (peer_connection.rs:122-125): the
// first lost ping (30.02 s) is missed at 130.02, then 160.02, 190.02 s -> 3. The predecessor
// (mn-inactive-on-disconnect) closes there (pong_timeout at t_connect + 190 s). 546a294
// resets and clears the 120.02/150.02/180.02 pings, so the next three misses are the pings of
// 210.02/240.02/270.02 s (at 310.02/340.02/370.02 s), then those of 390.02/420.02/450.02 s
// (at 490.02/520.02/550.02 s); the 570.02 ping would be missed at 670.02 s, after the run:
// 9 misses, connection open.
TEST_CASE("history: whitelist-no-timeout (546a294) - a whitelisted peer never times out") {
  CHECK(pongs_lost("whitelist-no-timeout") == Rows{{"end_of_run", "open", "9"}});
  CHECK(pongs_lost("mn-inactive-on-disconnect") ==
        Rows{{"pong_timeout", ns(seconds(190) + millis(20)), "3"}});
}

// Folded into 546a294, a875f42/f6bc796 (blacklist.rs:43-45, :54-57, :81-88 at 546a294): a
// whitelisted IP's violations are not counted: it is never banned. Three lines over the
// listener's 2,000,000-byte cap (344e7e0 server.rs:278, :348-366: a violation each, the line
// skipped) from 10.0.0.1 at 30, 40, 50 s: the predecessor bans it at the third (3 -> 300 s,
// blacklist.rs:65-70) and closes; 546a294 records the three errors and bans nobody.
TEST_CASE("history: whitelist-no-timeout (546a294) - a whitelisted peer is never banned") {
  for (const auto& [version, on] : {std::pair<std::string, bool>{"whitelist-no-timeout", true},
                                    {"mn-inactive-on-disconnect", false}}) {
    CAPTURE(version);
    std::string faults = "faults:\n";
    for (const char* at : {"30s", "40s", "50s"})
      faults += std::string("  - {kind: oversize, at: ") + at +
                ", from: [10.0.0.1], to: [10.0.0.2], size: 2000001}\n";
    const auto sc = net(nd("10.0.0.1", version) + nd("10.0.0.2", version),
                        "whitelist: [10.0.0.1, 10.0.0.2]\n" + faults);
    auto r = test::run(sc, 1, 2 * kMinute);
    const auto conn = std::to_string(link(r, 0, 1));
    CHECK(r.scalar("SELECT count(*) FROM protocol_errors WHERE node = 1 AND conn_id = " + conn +
                   " AND kind = 'line_too_long'") == 3);
    if (on) {
      CHECK(r.scalar("SELECT count(*) FROM bans") == 0);
      CHECK(r.scalar("SELECT open_at_end FROM connections WHERE conn_id = " + conn) == 1);
    } else {
      CHECK(r.rows("SELECT t_ns, banned_ip, violations FROM bans") ==
            Rows{{ns(seconds(50) + millis(10)), "10.0.0.1", "3"}});
      CHECK(r.scalar("SELECT count(*) FROM connections WHERE conn_id = " + conn +
                     " AND close_reason = 'line_too_long'") == 1);
    }
  }
}

namespace {
// 10.0.0.1 dials 10.0.0.2, which freezes at 0.5 s (process paused to the end: its kernel
// still accepts, nothing answers). 10.0.0.2's own dial at 0 s was refused (10.0.0.1's port
// closed for its first second), and paused it never redials, so every later session of
// 10.0.0.1 is its dial with no Pong at all. Returns, per such session closed by the pong
// timeout, its lifetime in ns, and how many sessions there were.
std::vector<Duration> unanswered_sessions(const std::string& version, Duration duration) {
  const auto sc = net(nd("10.0.0.1", version) + nd("10.0.0.2", version),
                      "faults:\n"
                      "  - {kind: refuse, at: 0s, for: 1s, node: 10.0.0.1}\n"
                      "  - {kind: pause, at: 500ms, node: 10.0.0.2}\n");
  auto r = test::run(sc, 1, duration);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 1 AND t_connect_ns IS NOT "
                 "NULL") == 0);
  std::vector<Duration> out;
  for (const auto& row : r.rows("SELECT t_closed_dialer_ns - t_connect_ns, pings_missed, "
                                "pongs_matched FROM connections WHERE dialer = 0 AND t_connect_ns "
                                "> " +
                                ns(seconds(1)) + " AND close_reason = 'pong_timeout'")) {
    CHECK(row[1] == "3");
    CHECK(row[2] == "0");
    out.push_back(std::stoll(row[0]));
  }
  return out;
}
}  // namespace

// fae8ba7 (peer_connection.rs:86-88): record_ping_sent purges pings older than 90 s at each
// send, uncounted. A session's pings go out at c (two: the connect's and the interval's first
// tick), c+30, c+60, ... s; each is 90 s old exactly at the send 90 s later, which is also a
// 10 s check tick: whether the purge (not a miss) or the check sees it first is tokio
// select!'s choice, modelled as 50 % (docs/fidelity.md); if not purged it is missed at the
// next check, 100 s after it was sent. The predecessor (whitelist-no-timeout: no purge, 5
// nonces) counts the pair at c+100 and the c+30 ping at c+130: every session lasts exactly
// 130 s (3 misses, peer_connection.rs:122-125). With the purge a session ends 100 s after the
// ping whose miss is the third, so its lifetime is 130 + 30k s, and some pings go uncounted:
// across the ~7 sessions of 30 min at least one lasts longer (each is 130 s with chance 1/4).
TEST_CASE("history: no-nonce-limit (fae8ba7) - expired pings purged at the next send") {
  const auto purged = unanswered_sessions("no-nonce-limit", 30 * kMinute);
  REQUIRE(purged.size() >= 5);
  bool longer = false;
  for (const auto life : purged) {
    CAPTURE(life);
    CHECK(life >= seconds(130));
    CHECK((life - seconds(130)) % seconds(30) == 0);
    longer = longer || life > seconds(130);
  }
  CHECK(longer);
  const auto before = unanswered_sessions("whitelist-no-timeout", 30 * kMinute);
  REQUIRE(before.size() >= 5);
  for (const auto life : before)
    CHECK(life == seconds(130));
}

// 79645be (client.rs:497-551): a masternode dial task (spawned with is_masternode, which it
// keeps) redials 2 s after its session ends; before, 5 s for every task (client.rs:391 at
// ea701a4). A = 10.0.0.1 (0 s), B = 10.0.0.2 (1 s), C = 10.0.0.3 (2 s): B dials A, C dials A
// and B; A's dials to them were refused before they started and its redials at 10 s find
// them connected inbound ("task exiting", client.rs:457). C's task for A, started at 2 s
// when A was unknown, is regular. C registers A from A's own announcement on connect
// (ae360c0) and again from B's MasternodesResponse at each of C's heartbeat ticks (2, 62, ...
// s: GetMasternodes, f0b577d; B answers list_all; the dialer registers, 80b5edf).
//   reset C-A at 238 s: C's task sleeps 5 s; A's periodic pass (120 s after its start-up
//     pass ended at 0.2 s: 240.2 s) dials C, and at 243 s C's task exits (A connected in);
//   reset at 360 s: A's task exits at 365 s (C connected in by then); C's pass at 362.2 s
//     finds A active (re-registered at 302.02 s) and not connected: its masternode branch
//     (PHASE3-MN, list_active) starts a masternode task;
//   reset at 400 s: that task redials after 2 s; reserve-before-dial's after 5 s.
TEST_CASE("history: mn-protection (79645be) - a masternode is redialled 2 s after a session") {
  for (const auto& [version, delay] :
       {std::pair<std::string, Duration>{"mn-protection", seconds(2)},
        {"reserve-before-dial", seconds(5)}}) {
    CAPTURE(version);
    const auto sc = net(nd("10.0.0.1", version) + nd("10.0.0.2", version, ", start: 1s") +
                            nd("10.0.0.3", version, ", start: 2s"),
                        consensus() +
                            "faults:\n"
                            "  - {kind: reset, at: 238s, between: [10.0.0.3, 10.0.0.1]}\n"
                            "  - {kind: reset, at: 360s, between: [10.0.0.3, 10.0.0.1]}\n"
                            "  - {kind: reset, at: 400s, between: [10.0.0.3, 10.0.0.1]}\n");
    auto r = test::run(sc, 1, seconds(450));
    CHECK(r.rows("SELECT t_dial_ns, close_reason FROM connections WHERE dialer = 0 AND listener "
                 "= 2 ORDER BY t_dial_ns") ==
          Rows{{ns(millis(100)), "connect_refused"}, {ns(seconds(240) + millis(200)), "reset"}});
    CHECK(r.rows("SELECT t_dial_ns, close_reason FROM connections WHERE dialer = 2 AND listener "
                 "= 0 ORDER BY t_dial_ns") == Rows{{ns(seconds(2)), "reset"},
                                                   {ns(seconds(362) + millis(200)), "reset"},
                                                   {ns(seconds(400) + delay), "end_of_run"}});
  }
}

// 79645be (client.rs:480-500): is_masternode is a parameter of the dial task: its redials keep
// the class it was spawned with, whatever the registry says later. Same network as above;
// one reset C-A at 180 s: C's task (regular, started at 2 s) sleeps 5 s, and meanwhile C's
// tick at 182 s re-registers A as active (B's MasternodesResponse); the redial at 185 s is
// still that regular task's, so after a second reset at 200 s it waits 5 s again, not 2 s.
TEST_CASE("history: mn-protection (79645be) - a regular dial task stays regular") {
  const auto sc =
      net(nd("10.0.0.1", "mn-protection") + nd("10.0.0.2", "mn-protection", ", start: 1s") +
              nd("10.0.0.3", "mn-protection", ", start: 2s"),
          consensus() +
              "faults:\n"
              "  - {kind: reset, at: 180s, between: [10.0.0.3, 10.0.0.1]}\n"
              "  - {kind: reset, at: 200s, between: [10.0.0.3, 10.0.0.1]}\n");
  auto r = test::run(sc, 1, seconds(240));
  CHECK(r.rows("SELECT t_dial_ns, close_reason FROM connections WHERE dialer = 2 AND listener = 0 "
               "ORDER BY t_dial_ns") == Rows{{ns(seconds(2)), "reset"},
                                             {ns(seconds(185)), "reset"},
                                             {ns(seconds(205)), "end_of_run"}});
}

// 79645be (connection_manager.rs:80-91): a whitelisted IP bypasses every admission limit but
// the total; before it, 344e7e0's limit of 10 new inbound connections per 60 s node-wide
// (connection_manager.rs:103-111) applies to everyone. Twelve nodes (no IP a text prefix of
// another, so the per-IP prefix count stays at 1) start 1 s apart; the first one's dials to
// the others are refused (not started), then each of the 11 dials it at its start: the 11th,
// at 11 s, finds 10 handshakes in the window and is refused at accept (connection_limit).
// With everyone whitelisted, mn-protection refuses nobody; without a whitelist it refuses
// that one too.
TEST_CASE("history: mn-protection (79645be) - whitelisted IPs bypass the new-inbound limit") {
  std::string nodes;
  std::string list;
  for (int i = 0; i < 12; ++i) {
    const std::string ip = "10.0.1." + std::to_string(11 + i);
    list += (i ? ", " : "") + ip;
    nodes += nd(ip, "VERSION", ", start: " + std::to_string(i) + "s");
  }
  for (const auto& [version, whitelist, refused] :
       {std::tuple<std::string, bool, std::int64_t>{"mn-protection", true, 0},
        {"mn-protection", false, 1},
        {"reserve-before-dial", true, 1}}) {
    CAPTURE(version);
    CAPTURE(whitelist);
    std::string n = nodes;
    for (auto at = n.find("VERSION"); at != std::string::npos; at = n.find("VERSION"))
      n.replace(at, 7, version);
    auto r = test::run(net(n, whitelist ? "whitelist: [" + list + "]\n" : ""), 1, seconds(90));
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'connection_limit'") ==
          refused);
    if (refused)
      CHECK(r.rows("SELECT dialer, listener, t_dial_ns, t_handshake_ns FROM connections WHERE "
                   "close_reason = 'connection_limit'") ==
            Rows{{"11", "0", ns(seconds(11)), "NULL"}});
  }
}

// 23cebb4 (peer_connection.rs:277-282, :613-622): pong timeout 300 s x 10; with 4a84431's
// purge of pings older than 120 s at each send (peer_connection.rs:85-99), the oldest pending
// ping is at most 150 s old at any check (120 s + one 30 s interval), so the timeout never
// fires: the unanswered session of unanswered_sessions() above lasts the whole 15 min with no
// miss. Pings: two at the connect (0.02 s), then one per 30 s tick to 870.02 s: 31. Its
// predecessor mn-protection closes such sessions by the 90 s x 3 timeout.
TEST_CASE("history: pong-300s (23cebb4) - a dialer never times out a peer") {
  const auto sc = net(nd("10.0.0.1", "pong-300s") + nd("10.0.0.2", "pong-300s"),
                      "faults:\n"
                      "  - {kind: refuse, at: 0s, for: 1s, node: 10.0.0.1}\n"
                      "  - {kind: pause, at: 500ms, node: 10.0.0.2}\n");
  auto r = test::run(sc, 1, 15 * kMinute);
  CHECK(r.rows("SELECT t_connect_ns, close_reason, pings_sent, pings_missed FROM connections "
               "WHERE dialer = 0") == Rows{{ns(millis(20)), "end_of_run", "31", "0"}});
  CHECK(unanswered_sessions("mn-protection", 15 * kMinute).size() >= 2);
}

// 51218aa (client.rs:706-707, peer_connection.rs:2405-2416): the dialer subscribes to the
// server's broadcast channel; the model has one broadcast path, which reaches dialer
// connections since 35af045, so nothing changes: the profile equals dialer-message-handler
// field for field, with the same event trace.
TEST_CASE("history: dialer-broadcasts (51218aa) - no modelled change") {
  check_same_fields_as_base("dialer-broadcasts");
  CHECK(busy_fingerprint("dialer-broadcasts") == busy_fingerprint("dialer-message-handler"));
}

// 7965e88 (peer_connection_registry.rs:543-575): try_register_inbound rejects an inbound
// whenever the IP's entry is occupied, by an outbound too. Both nodes start at 0 s and dial
// each other (9fc70f4, the dialer reserving the IP, 083e136): each Handshake (30 ms) finds the
// listener's own dial registered: both first connections are rejected by their listeners
// (duplicate_connection), every duplicate event says "rejected". Its predecessor tls-bincode
// (34bcf6e :562, try_register_inbound accepts and overwrites) accepts both, and both links
// stay up.
TEST_CASE("history: reject-inbound-if-outbound (7965e88) - a simultaneous dial is rejected") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"reject-inbound-if-outbound", true}, {"tls-bincode", false}}) {
    CAPTURE(version);
    auto r = test::run(net(nd("10.0.0.1", version) + nd("10.0.0.2", version)), 1, 2 * kMinute);
    const auto first = r.rows(
        "SELECT close_reason, closed_by, COALESCE(t_closed_listener_ns, 'open') FROM connections "
        "WHERE t_dial_ns = 0 ORDER BY dialer");
    const std::vector<std::string> rejected{"duplicate_connection", "listener", ns(millis(30))};
    const std::vector<std::string> kept{"end_of_run", "none", "open"};
    CHECK(first == Rows{on ? rejected : kept, on ? rejected : kept});
    CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'duplicate_connection' AND "
                   "detail = '" +
                   std::string(on ? "accepted" : "rejected") + "'") == 0);
    CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'duplicate_connection' AND t_ns "
                   "= " +
                   ns(millis(30))) == 2);
  }
}

// a122294 with 45404fc folded in (wire.rs read_message -> UnknownMessage): a frame whose
// payload does not decode is skipped; the connection stays. An older length-prefixed build
// that still has heartbeats (old-hb: connect-timeout with the HeartbeatBroadcast variant)
// dials the profile's node at 1 s and writes its heartbeat at its ticks 61 s and 121 s: each is
// an unknown variant to the receiver. a122294 logs and skips both; its predecessor
// connect-timeout (34bcf6e server.rs:532-535) ends the connection at each, without a
// violation.
TEST_CASE("history: network-from-config (a122294) - undecodable frames are skipped") {
  for (const auto& [version, on] :
       {std::pair<std::string, bool>{"network-from-config", true}, {"connect-timeout", false}}) {
    CAPTURE(version);
    const auto sc =
        net(nd("10.0.0.1", version) + nd("10.0.0.2", "old-hb", ", start: 1s"),
            consensus() + "versions:\n  old-hb: {base: connect-timeout, wire.heartbeat: true}\n");
    auto r = test::run(sc, 1, seconds(150));
    CHECK(r.rows("SELECT t_ns FROM protocol_errors WHERE node = 0 AND kind = 'unknown_variant' "
                 "ORDER BY t_ns") == times({seconds(61) + millis(10), seconds(121) + millis(10)}));
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'invalid_message'") ==
          (on ? 0 : 2));
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 1 AND t_handshake_ns IS NOT "
                   "NULL") == (on ? 1 : 3));
    CHECK(r.scalar("SELECT count(*) FROM bans") == 0);
  }
}

// 344e7e0 (connection_manager.rs:94-101, :142-150 at a896294): can_accept_inbound refuses a
// peer when 3 Connected entries' keys start with its IP text (`key.starts_with(peer_ip)`), and
// the map has one entry per IP, so only other IPs that extend its text can make 3: 10.0.0.1
// counts 10.0.0.10, 10.0.0.11 and 10.0.0.12. L = 10.0.0.50 is connected with those three from
// t = 0 (both sides dial, 9fc70f4); X starts at 5 s and dials L: refused at accept
// (connection_limit, no handshake), still 3 handshakes at L, far under the 10-per-60-s limit.
// The same network with X = 10.0.0.2 (no other IP starts with it) is accepted, and both-dial
// (9fc70f4, no limits) accepts 10.0.0.1 too. a896294 keeps the check unchanged.
TEST_CASE("history: dos-protection (344e7e0) - the per-IP limit counts IPs by text prefix") {
  for (const auto& [version, x, refused] :
       {std::tuple<std::string, std::string, bool>{"dos-protection", "10.0.0.1", true},
        {"ban-storm-fix", "10.0.0.1", true},
        {"ban-storm-fix", "10.0.0.2", false},
        {"both-dial", "10.0.0.1", false}}) {
    CAPTURE(version);
    CAPTURE(x);
    const auto sc =
        net(nd("10.0.0.50", version) + nd("10.0.0.10", version) + nd("10.0.0.11", version) +
            nd("10.0.0.12", version) + nd(x, version, ", start: 5s"));
    auto r = test::run(sc, 1, seconds(8));
    const auto first = r.rows(
        "SELECT t_dial_ns, close_reason, t_handshake_ns IS NULL FROM connections WHERE dialer = 4 "
        "AND listener = 0 ORDER BY t_dial_ns LIMIT 1");
    REQUIRE(first.size() == 1);
    CHECK(first[0][0] == ns(seconds(5)));
    if (refused)
      CHECK(first[0] == std::vector<std::string>{ns(seconds(5)), "connection_limit", "1"});
    else
      CHECK(first[0] == std::vector<std::string>{ns(seconds(5)), "end_of_run", "0"});
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'connection_limit'") ==
          (refused ? 1 : 0));
  }
}
