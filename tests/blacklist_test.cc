// The listener's blacklist (upstream blacklist.rs and server.rs at ea701a4..31ad283), the
// non-UTF-8 read error, b5513be's unregister, and the masternode dial branch: node inputs
// in, outputs checked (no sim); then one scenario asserting on the `bans` rows.
// Expectations come from the profile's BlacklistPolicy and timers.
#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "node_core/blacklist.h"
#include "node_core/node.h"
#include "node_harness.h"
#include "test_util.h"

using namespace ts;
using namespace ts::node;

namespace {

const VersionProfile& post_fix() {
  return *find_profile("post-fix");
}

struct Harness : test::NodeHarness {
  Harness(std::string ip, std::vector<std::string> peers, const VersionProfile& p)
      : NodeHarness(test::node_config(std::move(ip), std::move(peers)), p) {}

  SimTime timer_at_pass() const {
    SimTime at = kNever;
    for (const auto& t : all<SetTimer>())
      if (t.id.kind == TimerKind::kRedialPass) at = t.at;
    return at;
  }
  // An inbound connection from `ip` with a valid Handshake.
  void accept(SimTime now, ConnId id, std::string_view ip, bool handshake = true) {
    feed(now, Connected{id, Direction::kInbound, 0, ip, 50000});
    if (handshake) feed(now, BytesIn{id, encode(Handshake{kMagic, kProtocolVersion, "mainnet"})});
  }
};

const std::string kBad = "{not json\n";

}  // namespace

TEST_CASE("blacklist: the ladder bans at 3, 5 and 10 violations and disconnects past 10") {
  const BlacklistPolicy& p = post_fix().blacklist;
  IpBlacklist bl(p);
  SimTime now = 0;
  for (std::uint32_t n = 1; n <= 12; ++n) {
    CAPTURE(n);
    now += kMinute;  // well within the memory: the count keeps growing
    const auto v = bl.record_violation("1.2.3.4", now);
    CHECK(v.count == n);
    Duration ban = 0;
    for (const auto& step : p.ladder)
      if (step.violations == n) ban = step.ban_ns;
    CHECK(v.banned == (ban != 0));
    if (v.banned) CHECK(v.ban_ns == ban);
    CHECK(v.disconnect == (v.banned || n > p.ladder.back().violations));
  }
  CHECK(p.ladder[0].ban_ns == 5 * kMinute);
  CHECK(p.ladder[1].ban_ns == kHour);
  CHECK(p.ladder[2].ban_ns == kNever);
  CHECK(bl.is_banned("1.2.3.4", now + 1000 * kHour));  // permanent
  CHECK_FALSE(bl.is_banned("1.2.3.5", now));           // per IP
}

TEST_CASE(
    "blacklist: a ban ends at its expiry; a violation more than 1 h after the last restarts") {
  const BlacklistPolicy& p = post_fix().blacklist;
  IpBlacklist bl(p);
  bl.record_violation("ip", 0);
  bl.record_violation("ip", seconds(1));
  const SimTime t3 = seconds(2);
  CHECK(bl.record_violation("ip", t3).banned);
  CHECK(bl.is_banned("ip", t3 + p.ladder[0].ban_ns - 1));
  CHECK_FALSE(bl.is_banned("ip", t3 + p.ladder[0].ban_ns));
  // exactly the memory later: still counted (upstream resets only when strictly older)
  CHECK(bl.record_violation("ip", t3 + p.violation_memory_ns).count == 4);
  // more than the memory after the previous one: the count restarts at 1
  const SimTime t5 = t3 + 2 * p.violation_memory_ns + 1;
  CHECK(bl.record_violation("ip", t5).count == 1);
}

TEST_CASE(
    "blacklist: after the 1 h ban a lone dialer's count restarts - it is never banned for good") {
  // One connection per IP (the dial rule): during a ban its connections are dropped before
  // any line is read, so the next violation comes more than the memory (1 h) after the 5th.
  const BlacklistPolicy& p = post_fix().blacklist;
  REQUIRE(p.ladder[1].ban_ns >= p.violation_memory_ns);
  IpBlacklist bl(p);
  SimTime now = 0;
  for (int i = 1; i <= 5; ++i) {
    now += seconds(1);
    while (bl.is_banned("ip", now))
      now += seconds(5);  // the dialer's redial: dropped at accept
    bl.record_violation("ip", now);
  }
  const SimTime fifth = now;
  while (bl.is_banned("ip", now))
    now += seconds(5);
  // its first line arrives after the accept, so strictly after the ban's end
  const SimTime line_at = now + 1;
  CHECK(line_at - fifth > p.violation_memory_ns);
  CHECK(bl.record_violation("ip", line_at).count == 1);
}

TEST_CASE("node: inbound bad lines - the 3rd violation closes and bans the IP for 5 min") {
  Harness h("9.9.9.9", {"1.1.1.1"}, post_fix());
  h.feed(0, Start{});
  h.accept(seconds(1), 5, "1.1.1.1");
  h.feed(seconds(2), BytesIn{5, kBad + kBad});
  CHECK(h.errors(ProtocolErrorKind::kInvalidJson) == 2);  // a protocol error row each
  CHECK(h.all<Close>().empty());
  CHECK(h.all<Ban>().empty());
  h.feed(seconds(3), BytesIn{5, kBad + encode(Ping{1, 1})});
  REQUIRE(h.all<Ban>().size() == 1);
  const Ban ban = h.all<Ban>()[0];
  CHECK(ban.ip == "1.1.1.1");
  CHECK(ban.conn == 5);
  CHECK(ban.violations == 3);
  CHECK(ban.duration_ns == post_fix().blacklist.ladder[0].ban_ns);
  CHECK(ban.reason == "Failed to parse message");
  REQUIRE(h.all<Close>().size() == 1);
  CHECK(h.all<Close>()[0].reason == CloseReason::kInvalidMessage);
  CHECK(h.all<Send>().empty());  // closed before the Ping behind the bad line was read
  // A connection from the banned IP is accepted, then dropped at once; another IP is not.
  h.feed(seconds(10), Connected{6, Direction::kInbound, 0, "1.1.1.1", 50001});
  REQUIRE(h.all<Close>().size() == 1);
  CHECK(h.all<Close>()[0].reason == CloseReason::kBanned);
  h.accept(seconds(10), 7, "2.2.2.2");
  CHECK(h.all<Close>().empty());
  // After the ban, the IP is accepted again.
  h.accept(seconds(3) + post_fix().blacklist.ladder[0].ban_ns, 8, "1.1.1.1");
  CHECK(h.all<Close>().empty());
  CHECK(h.node.open_connections() == 2);
}

TEST_CASE("node: violations count per IP across its connections; before the handshake too") {
  Harness h("9.9.9.9", {"1.1.1.1"}, post_fix());
  h.feed(0, Start{});
  h.accept(seconds(1), 1, "1.1.1.1", /*handshake=*/false);
  h.accept(seconds(1), 2, "1.1.1.1", /*handshake=*/false);
  h.feed(seconds(2), BytesIn{1, kBad + kBad});  // a bad first line is no reason to close
  CHECK(h.all<Close>().empty());
  h.feed(seconds(3), BytesIn{2, kBad});  // the IP's 3rd: this connection closes
  REQUIRE(h.all<Close>().size() == 1);
  CHECK(h.all<Close>()[0].conn == 2);
  REQUIRE(h.all<Ban>().size() == 1);
  CHECK(h.all<Ban>()[0].violations == 3);
  // the ban is checked at accept only: connection 1 stays open and keeps counting
  h.feed(seconds(4), BytesIn{1, kBad});
  CHECK(h.all<Close>().empty());
  h.feed(seconds(5), BytesIn{1, kBad});
  REQUIRE(h.all<Ban>().size() == 1);
  CHECK(h.all<Ban>()[0].violations == 5);
  CHECK(h.all<Ban>()[0].duration_ns == kHour);
  CHECK(h.all<Close>().size() == 1);
}

TEST_CASE("node: the 10th bad line closes a connection whose IP is never banned") {
  // Bad lines more than the memory (1 h) apart: the IP's count stays at 1.
  const auto& p = post_fix().blacklist;
  Harness h("9.9.9.9", {"1.1.1.1"}, post_fix());
  h.feed(0, Start{});
  h.accept(seconds(1), 1, "1.1.1.1");
  SimTime now = seconds(1);
  for (std::uint32_t i = 1; i <= p.max_bad_lines; ++i) {
    CAPTURE(i);
    now += p.violation_memory_ns + seconds(1);
    h.feed(now, BytesIn{1, kBad});
    CHECK(h.all<Ban>().empty());
    CHECK(h.all<Close>().size() == (i == p.max_bad_lines ? 1u : 0u));
  }
  CHECK(h.all<Close>()[0].reason == CloseReason::kInvalidMessage);
}

TEST_CASE(
    "node: bad handshakes and the old protocol are violations; message-before-handshake is not") {
  Harness h("9.9.9.9", {"1.1.1.1"}, post_fix());
  h.feed(0, Start{});
  // Ten connections that each open with a Ping (the incident's old dialer): never banned.
  for (ConnId id = 1; id <= 10; ++id) {
    h.accept(seconds(id), id, "1.1.1.1", /*handshake=*/false);
    h.feed(seconds(id), BytesIn{id, encode(Ping{1, 1})});
    REQUIRE(h.all<Close>().size() == 1);
    CHECK(h.all<Close>()[0].reason == CloseReason::kMessageBeforeHandshake);
    CHECK(h.all<Ban>().empty());
  }
  // Wrong magic, wrong version, the ~W~M prefix: one violation each; the third bans.
  const std::string lines[] = {encode(Handshake{{1, 2, 3, 4}, 1, "x"}),
                               encode(Handshake{kMagic, 2, "x"}), std::string("~W~M\x01\n", 6)};
  const CloseReason reasons[] = {CloseReason::kBadHandshake, CloseReason::kBadHandshake,
                                 CloseReason::kOldProtocol};
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    const ConnId id = 20 + static_cast<ConnId>(i);
    h.accept(seconds(20 + i), id, "1.1.1.1", /*handshake=*/false);
    h.feed(seconds(20 + i), BytesIn{id, lines[i]});
    REQUIRE(h.all<Close>().size() == 1);
    CHECK(h.all<Close>()[0].reason == reasons[i]);
    CHECK(h.all<Ban>().size() == (i == 2 ? 1u : 0u));
  }
  CHECK(h.all<Ban>()[0].reason == "Old protocol magic bytes (~W~M)");
  // After the handshake a ~W~M line is just a bad line (the prefix check is pre-handshake).
  Harness g("9.9.9.9", {"1.1.1.1"}, post_fix());
  g.feed(0, Start{});
  g.accept(seconds(1), 1, "1.1.1.1");
  g.feed(seconds(2), BytesIn{1, std::string("~W~M\x01\n", 6)});
  CHECK(g.errors(ProtocolErrorKind::kInvalidJson) == 1);
  CHECK(g.all<Close>().empty());
}

TEST_CASE(
    "node: outbound bad lines are only logged; a blank line is skipped there, a violation "
    "inbound") {
  Harness h("1.1.1.1", {"2.2.2.2"}, post_fix());
  h.feed(0, Start{});
  h.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
  for (int i = 0; i < 12; ++i)
    h.feed(2 + i, BytesIn{1, kBad + "\n  \n"});
  CHECK(h.errors(ProtocolErrorKind::kInvalidJson) == 1);  // the last feed's bad line only
  CHECK(h.all<Close>().empty());
  CHECK(h.all<Ban>().empty());
  Harness l("9.9.9.9", {"1.1.1.1"}, post_fix());
  l.feed(0, Start{});
  l.accept(1, 1, "1.1.1.1");
  l.feed(2, BytesIn{1, "\n\n\n"});  // serde_json fails on an empty line: three violations
  CHECK(l.errors(ProtocolErrorKind::kInvalidJson) == 3);  // closed at the third
  REQUIRE(l.all<Ban>().size() == 1);
  CHECK(l.all<Close>().size() == 1);
}

TEST_CASE("node: a line that is not UTF-8 ends the connection on either side, with no violation") {
  const std::string not_utf8 = "{\"Ping\":{\"nonce\":1,\"timestamp\":\xff}}\n";
  Harness l("9.9.9.9", {"1.1.1.1"}, post_fix());
  l.feed(0, Start{});
  for (ConnId id = 1; id <= 4; ++id) {
    l.accept(seconds(id), id, "1.1.1.1");
    l.feed(seconds(id), BytesIn{id, not_utf8});
    REQUIRE(l.all<Close>().size() == 1);
    CHECK(l.all<Close>()[0].reason == CloseReason::kInvalidUtf8);
    CHECK(l.errors(ProtocolErrorKind::kInvalidUtf8) == 1);
    CHECK(l.all<Ban>().empty());
  }
  Harness d("1.1.1.1", {"2.2.2.2"}, post_fix());
  d.feed(0, Start{});
  d.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
  d.feed(2, BytesIn{1, not_utf8});
  REQUIRE(d.all<Close>().size() == 1);
  CHECK(d.all<Close>()[0].reason == CloseReason::kInvalidUtf8);
  // valid multi-byte UTF-8 is only a bad line
  Harness v("1.1.1.1", {"2.2.2.2"}, post_fix());
  v.feed(0, Start{});
  v.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
  v.feed(2, BytesIn{1, "\"h\xc3\xa9\"\n"});
  CHECK(v.errors(ProtocolErrorKind::kUnknownVariant) == 1);
  CHECK(v.all<Close>().empty());
}

TEST_CASE("node: b5513be unregisters the peer's IP when an outbound connection ends") {
  // 1.1.1.1 dials 2.2.2.2 and also accepted a connection from 2.2.2.2 (a dialer that does
  // not follow the rule). When the outbound connection ends, logging-fix and post-fix drop
  // the IP's writer: the inbound connection gets no reply any more. pre-fix keeps it.
  for (const char* version : {"pre-fix", "logging-fix", "post-fix"}) {
    CAPTURE(version);
    const VersionProfile& p = *find_profile(version);
    Harness h("1.1.1.1", {"2.2.2.2"}, p);
    h.feed(0, Start{});
    h.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
    h.accept(2, 2, "2.2.2.2");
    h.feed(3, BytesIn{2, encode(Ping{7, 1})});
    REQUIRE(h.all<Send>().size() == 1);  // the Pong
    h.feed(4, Closed{1, CloseReason::kPeerClosed});
    h.feed(5, BytesIn{2, encode(Ping{8, 1}) + encode(GetPeers{})});
    CHECK(h.all<Send>().size() == (p.outbound_close_unregisters_ip ? 0u : 2u));
    CHECK(p.outbound_close_unregisters_ip == (std::string(version) != "pre-fix"));
  }
}

TEST_CASE("node: the masternode pass branch dials at once, without spacing or the back-off check") {
  // No incident profile lists remote masternodes as active; a profile that did would dial
  // masternode peers through client.rs's PHASE3-MN branch.
  VersionProfile mn = post_fix();
  mn.remote_masternodes_active = true;
  for (const bool active : {false, true}) {
    CAPTURE(active);
    Harness h("1.1.1.1", {"2.2.2.2", "3.3.3.3", "4.4.4.4"}, active ? mn : post_fix());
    h.feed(0, Start{});
    std::size_t dials = h.all<Dial>().size();
    for (int step = 1; step <= 3; ++step) {  // the start-up pass: 100 ms apart either way
      h.feed(millis(100) * step, TimerFired{{TimerKind::kPassStep, 0}});
      dials += h.all<Dial>().size();
    }
    CHECK(dials == 3);
    // The dials fail late (no connect timeout: a dial can take that long), so all three
    // are backing off (10 s) when the first periodic pass comes, 120 s after the first ended.
    const SimTime pass = millis(300) + h.node.profile().timers.redial_pass_interval_ns;
    CHECK(h.timer_at_pass() == pass);
    for (std::uint32_t p = 0; p < 3; ++p)
      h.feed(pass - seconds(5), DialFailed{p, CloseReason::kConnectRefused});
    h.feed(pass, TimerFired{{TimerKind::kRedialPass, 0}});
    // regular branch: is_reconnecting skips all three; masternode branch: all three now
    CHECK(h.all<Dial>().size() == (active ? 3u : 0u));
  }
}

TEST_CASE("node: the give-up limit is the masternode one only when remote masternodes are active") {
  VersionProfile mn = post_fix();
  mn.remote_masternodes_active = true;
  for (const bool active : {false, true}) {
    CAPTURE(active);
    Harness h("1.1.1.1", {"2.2.2.2"}, active ? mn : post_fix());
    h.feed(0, Start{});
    std::uint32_t failures = 0;
    SimTime now = 0;
    bool gave_up = false;
    while (!gave_up && failures < 100) {
      h.feed(now, DialFailed{0, CloseReason::kConnectRefused});
      ++failures;
      for (const auto& n : h.all<Note>())
        gave_up = gave_up || n.kind == NoteKind::kPeerGivenUp;
      now += kHour;
      h.feed(now, TimerFired{{TimerKind::kRedial, 0}});
    }
    const auto& t = post_fix().timers;
    CHECK(failures == (active ? t.max_dial_failures_masternode : t.max_dial_failures_other));
  }
}

TEST_CASE("scenario: three bad lines ban the dialer's IP for 5 min - its redials are dropped") {
  // 50.28.104.50 dials 64.91.241.10 (post-fix to post-fix: the connection is up). Three
  // truncated Ping lines at 2, 3, 4 min are the IP's 3rd violation at the listener: the
  // connection closes and a `bans` row is written; each redial (5 s after the drop) is
  // accepted and dropped at once until the ban expires; the first after it stays up.
  std::ifstream in(test::source_path("topologies/six_nodes_postfix.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text += R"(faults:
  - {kind: truncate, at: 2m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: truncate, at: 3m, from: [50.28.104.50], to: [64.91.241.10]}
  - {kind: truncate, at: 4m, from: [50.28.104.50], to: [64.91.241.10]}
)";
  auto sc = sim::parse_scenario(text, "six_nodes_postfix.yaml");
  REQUIRE(sc.ok());
  auto r = test::run(*sc, 1, 20 * kMinute);
  const auto& policy = post_fix().blacklist;
  const auto bans = r.rows(
      "SELECT t_ns, node, peer, banned_ip, violations, duration_ns, reason, conn_id FROM bans");
  REQUIRE(bans.size() == 1);
  const SimTime t_ban = std::stoll(bans[0][0]);
  CHECK(t_ban > 4 * kMinute);
  CHECK(t_ban < 4 * kMinute + seconds(1));
  CHECK(bans[0][1] == "1");
  CHECK(bans[0][2] == "0");
  CHECK(bans[0][3] == "50.28.104.50");
  CHECK(bans[0][4] == std::to_string(policy.ladder[0].violations));
  CHECK(bans[0][5] == std::to_string(policy.ladder[0].ban_ns));
  CHECK(bans[0][6] == "Failed to parse message");
  // the violations are protocol-error rows too
  CHECK(r.scalar("SELECT count(*) FROM protocol_errors WHERE node = 1 AND kind = 'invalid_json'") ==
        3);
  const auto first = r.rows(
      "SELECT close_reason, closed_by, t_close_ns, conn_id FROM connections "
      "WHERE dialer = 0 AND listener = 1 ORDER BY conn_id LIMIT 1");
  CHECK(first[0][0] == "invalid_message");
  CHECK(first[0][1] == "listener");
  CHECK(first[0][2] == bans[0][0]);
  CHECK(first[0][3] == bans[0][7]);
  // Every connection accepted during the ban is dropped by the listener at accept.
  const SimTime until = t_ban + policy.ladder[0].ban_ns;
  const std::string during =
      " FROM connections WHERE dialer = 0 AND listener = 1 AND "
      "t_accept_ns >= " +
      std::to_string(t_ban) + " AND t_accept_ns < " + std::to_string(until);
  const auto banned = r.scalar("SELECT count(*)" + during);
  CHECK(r.scalar("SELECT count(*)" + during +
                 " AND NOT (close_reason = 'banned' AND closed_by = 'listener' AND t_close_ns = "
                 "t_accept_ns)") == 0);
  // redialled 5 s after each drop (plus the connect and FIN round trips, well under 1 s)
  const Duration redial = post_fix().timers.reconnect_delay_ns;
  CHECK(banned >= policy.ladder[0].ban_ns / (redial + seconds(1)));
  CHECK(banned <= policy.ladder[0].ban_ns / redial + 1);
  // The first connection after the ban stays up to the end.
  const auto after = r.rows(
      "SELECT close_reason, open_at_end FROM connections WHERE dialer = 0 AND listener = 1 AND "
      "t_accept_ns >= " +
      std::to_string(until));
  REQUIRE(after.size() == 1);
  CHECK(after[0][1] == "1");
  // No other link is touched.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE NOT (dialer = 0 AND listener = 1)") == 14);
}
