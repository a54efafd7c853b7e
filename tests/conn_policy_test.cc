// ConnPolicy (node_core/conn_policy.h): the whitelist, the listener's connection limits at
// accept, the duplicate-connection rule after the handshake and the per-IP writer registry.
// Node inputs in, outputs checked. Expected values come from the upstream constants cited.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node_core/node.h"
#include "node_harness.h"
#include "scenario/scenario.h"
#include "test_util.h"

using namespace ts;
using namespace ts::node;

namespace {

VersionProfile profile(std::string_view name) {
  return *find_profile(name);
}

struct Harness : test::NodeHarness {
  Harness(std::string ip, std::vector<std::string> peers, const VersionProfile& p,
          std::vector<std::string> whitelist = {})
      : NodeHarness(make_cfg(std::move(ip), std::move(peers), std::move(whitelist)), p) {
    feed(0, Start{});
  }
  static NodeConfig make_cfg(std::string ip, std::vector<std::string> peers,
                             std::vector<std::string> whitelist) {
    NodeConfig c = test::node_config(std::move(ip), std::move(peers));
    c.whitelist = std::move(whitelist);
    return c;
  }
  // The close reason emitted for `id` in the last outputs, or kNone.
  CloseReason closed(ConnId id) const {
    for (const auto& c : all<Close>())
      if (c.conn == id) return c.reason;
    return CloseReason::kNone;
  }
  int duplicates(DuplicateOutcome o) const {
    int n = 0;
    for (const auto& note : all<Note>())
      n += note.kind == NoteKind::kDuplicateConnection && note.value == static_cast<int>(o);
    return n;
  }
  void connect_in(SimTime now, ConnId id, std::string_view ip) {
    feed(now, Connected{id, Direction::kInbound, 0, ip, 50000});
  }
  void handshake(SimTime now, ConnId id) {
    feed(now, BytesIn{id, encode(Handshake{kMagic, kProtocolVersion, "mainnet"})});
  }
  void accept(SimTime now, ConnId id, std::string_view ip) {
    connect_in(now, id, ip);
    handshake(now, id);
  }
  // Accepts like accept() if the connection survives accept(); false if it was refused.
  bool admitted(SimTime now, ConnId id, std::string_view ip) {
    connect_in(now, id, ip);
    if (closed(id) != CloseReason::kNone) return false;
    handshake(now, id);
    return true;
  }
};

const std::string kBad = "{not json\n";
using MK = std::vector<MsgKind>;

}  // namespace

// ---- whitelist ----------------------------------------------------------------------------

TEST_CASE("conn: a whitelisted IP is never banned when the profile says so (a875f42)") {
  VersionProfile p = profile("post-fix");
  // The incident commits have no whitelist: the 3rd violation bans (blacklist.rs:65-70).
  {
    Harness h("10.0.0.9", {}, p, {"10.0.0.5"});
    CHECK(h.node.is_whitelisted("10.0.0.5"));
    CHECK_FALSE(h.node.is_whitelisted("10.0.0.6"));
    h.accept(seconds(1), 1, "10.0.0.5");
    for (int i = 0; i < 3; ++i)
      h.feed(seconds(2 + i), BytesIn{1, kBad});
    CHECK(h.all<Ban>().size() == 1);
    CHECK(h.closed(1) == CloseReason::kInvalidMessage);
  }
  p.blacklist.whitelist_exempt = true;  // a875f42: record_violation returns false
  Harness h("10.0.0.9", {}, p, {"10.0.0.5"});
  h.accept(seconds(1), 1, "10.0.0.5");
  h.accept(seconds(1), 2, "10.0.0.6");
  std::size_t bans = 0;
  for (int i = 0; i < 3; ++i) {
    h.feed(seconds(2 + i), BytesIn{1, kBad});
    bans += h.all<Ban>().size();
    CHECK(h.closed(1) == CloseReason::kNone);  // not closed by the ladder
  }
  CHECK(bans == 0);
  // max_bad_lines (failed_parse_count, per connection) still closes it at the 10th.
  for (std::uint32_t i = 3; i < p.blacklist.max_bad_lines; ++i)
    h.feed(seconds(10 + i), BytesIn{1, kBad});
  CHECK(h.closed(1) == CloseReason::kInvalidMessage);
  CHECK(h.all<Ban>().empty());
  // Not whitelisted: banned at the 3rd as before.
  for (int i = 0; i < 3; ++i)
    h.feed(seconds(30 + i), BytesIn{2, kBad});
  CHECK(h.all<Ban>().size() == 1);
}

// ---- connection limits at accept -----------------------------------------------------------

namespace {
// connection_manager.rs:13-18 at 344e7e0.
VersionProfile dos_suite() {
  VersionProfile p = profile("post-fix");
  p.conn.limits.max_total = 125;
  p.conn.limits.max_inbound = 100;
  p.conn.limits.max_per_ip = 3;
  p.conn.limits.max_new_inbound = 10;
  p.conn.limits.new_window_ns = seconds(60);
  p.conn.limits.prune_interval_ns = seconds(10);
  return p;
}
}  // namespace

TEST_CASE("conn: the incident commits accept any number of inbound connections") {
  Harness h("10.0.0.9", {}, profile("pre-fix"));
  for (ConnId id = 1; id <= 200; ++id)
    REQUIRE(h.admitted(seconds(1), id, "10.1.0." + std::to_string(id)));
  CHECK(h.node.established_connections() == 200);
}

TEST_CASE("conn: 3 per IP counts every connected IP that starts with the new one (344e7e0)") {
  VersionProfile p = dos_suite();
  p.conn.limits.max_new_inbound = 0;  // this test is about the per-IP count only
  Harness h("10.0.0.9", {}, p);
  for (ConnId id = 1; id <= 3; ++id)
    h.accept(seconds(1), id, "10.0.0.1" + std::to_string(id));  // .11 .12 .13
  // count_connections_from_ip: key.starts_with("10.0.0.1") matches .11, .12, .13.
  h.connect_in(seconds(2), 10, "10.0.0.1");
  CHECK(h.closed(10) == CloseReason::kConnectionLimit);
  h.connect_in(seconds(2), 11, "10.0.0.2");
  CHECK(h.closed(11) == CloseReason::kNone);
  // Before its handshake a connection is not Connected: it does not count.
  h.connect_in(seconds(3), 12, "10.0.0.2");
  CHECK(h.closed(12) == CloseReason::kNone);
}

TEST_CASE("conn: 10 handshakes per 60 s node-wide, pruned at most every 10 s (344e7e0)") {
  Harness h("10.0.0.9", {}, dos_suite());
  ConnId id = 0;
  auto attempt = [&](SimTime t) {
    ++id;
    h.connect_in(t, id, "10.2.0." + std::to_string(id));
    const bool admitted = h.closed(id) == CloseReason::kNone;
    if (admitted) {
      h.handshake(t, id);                               // recorded in mark_inbound
      h.feed(t, Closed{id, CloseReason::kPeerClosed});  // gone: only the record stays
    }
    return admitted;
  };
  for (int s = 1; s <= 10; ++s)
    REQUIRE(attempt(seconds(s)));     // handshakes at 1..10 s
  CHECK_FALSE(attempt(seconds(11)));  // 10 in the window; this check also prunes (last: 11 s)
  CHECK(attempt(millis(61'500)));     // prune at 61.5 s drops the 1 s entry: 9 left
  // 63 s: the 2 s and 3 s entries are older than 60 s, but the last prune was 1.5 s ago.
  CHECK_FALSE(attempt(seconds(63)));
  CHECK(attempt(millis(71'500)));  // 10 s after the last prune: 2..10 s go
}

TEST_CASE("conn: whitelisted IPs bypass all limits but the total; 75 regular (79645be)") {
  VersionProfile p = dos_suite();
  p.conn.limits.max_total = 3;
  p.conn.limits.max_inbound = 1;
  p.conn.limits.max_regular = 2;
  p.conn.limits.whitelist_bypass = true;
  Harness h("10.0.0.9", {}, p, {"10.3.0.1", "10.3.0.2", "10.3.0.3"});
  REQUIRE(h.admitted(seconds(1), 1, "10.4.0.1"));      // regular, inbound: 1
  CHECK_FALSE(h.admitted(seconds(2), 2, "10.4.0.2"));  // inbound 1/1
  CHECK(h.admitted(seconds(3), 3, "10.3.0.1"));        // whitelisted: past the inbound limit
  CHECK(h.admitted(seconds(4), 4, "10.3.0.2"));
  CHECK_FALSE(h.admitted(seconds(5), 5, "10.3.0.3"));  // total 3/3 holds for whitelisted too
  CHECK(h.node.established_connections() == 3);
  // Without the bypass the whitelisted IP meets the inbound limit like any other.
  p.conn.limits.whitelist_bypass = false;
  Harness g("10.0.0.9", {}, p, {"10.3.0.1"});
  g.accept(seconds(1), 1, "10.4.0.1");
  g.connect_in(seconds(2), 2, "10.3.0.1");
  CHECK(g.closed(2) == CloseReason::kConnectionLimit);
  // Regular: connected IPs off the whitelist, either direction.
  p.conn.limits.max_inbound = 100;
  Harness r("10.0.0.9", {}, p);
  r.accept(seconds(1), 1, "10.4.0.1");
  r.accept(seconds(1), 2, "10.4.0.2");
  r.connect_in(seconds(2), 3, "10.4.0.3");
  CHECK(r.closed(3) == CloseReason::kConnectionLimit);  // regular 2/2
}

// ---- duplicate connections and the writer registry -----------------------------------------

TEST_CASE("conn: ea701a4's tie-break - the higher IP keeps the duplicate deaf as the writer") {
  // server.rs:305-336: is_connected(ip), should_connect_to = our octets higher.
  Harness h("10.0.0.9", {}, profile("pre-fix"));
  h.accept(seconds(1), 1, "10.0.0.5");
  CHECK(h.sent_on(1) == MK{MsgKind::kAck, MsgKind::kGetPeers});
  h.accept(seconds(2), 2, "10.0.0.5");
  CHECK(h.duplicates(DuplicateOutcome::kDeaf) == 1);
  CHECK(h.sent_on(2) == MK{MsgKind::kAck});  // register, Ack, break: no GetPeers
  CHECK(h.closed(2) == CloseReason::kNone);  // the writer keeps the socket open
  // send_to_peer(ip) writes to the newest writer: conn 1's Pong goes out on conn 2.
  h.feed(seconds(3), BytesIn{1, encode(Ping{7, 1})});
  CHECK(h.sent_on(1).empty());
  CHECK(h.sent_on(2) == MK{MsgKind::kPong});
  h.feed(seconds(3), BytesIn{2, encode(Ping{8, 1})});  // nobody reads conn 2
  CHECK(h.all<Send>().empty());
  // The deaf connection's task ended with mark_inbound_disconnected: the manager forgot the
  // IP, so a third connection is no duplicate for it.
  h.accept(seconds(4), 3, "10.0.0.5");
  CHECK(h.duplicates(DuplicateOutcome::kDeaf) == 0);
  CHECK(h.sent_on(3) == MK{MsgKind::kAck, MsgKind::kGetPeers});
}

TEST_CASE("conn: ea701a4's tie-break - the lower IP accepts the duplicate, which owns the IP") {
  Harness h("10.0.0.2", {}, profile("pre-fix"));
  h.accept(seconds(1), 1, "10.0.0.5");
  h.accept(seconds(2), 2, "10.0.0.5");
  CHECK(h.duplicates(DuplicateOutcome::kAccepted) == 1);
  CHECK(h.sent_on(2) == MK{MsgKind::kAck, MsgKind::kGetPeers});
  h.feed(seconds(3), BytesIn{1, encode(Ping{7, 1})});
  CHECK(h.sent_on(2) == MK{MsgKind::kPong});
  // remove(ip), then mark_inbound(ip): the manager knows the IP again, so a third
  // connection is a duplicate too, and accepted too.
  h.accept(seconds(4), 3, "10.0.0.5");
  CHECK(h.duplicates(DuplicateOutcome::kAccepted) == 1);
  CHECK(h.closed(3) == CloseReason::kNone);
}

TEST_CASE("conn: reject (d6b4383) closes the duplicate without an Ack") {
  VersionProfile p = profile("post-fix");
  p.conn.duplicate = DuplicatePolicy::kReject;
  Harness h("10.0.0.9", {}, p);
  h.accept(seconds(1), 1, "10.0.0.5");
  h.accept(seconds(2), 2, "10.0.0.5");
  CHECK(h.closed(2) == CloseReason::kDuplicateConnection);
  CHECK(h.duplicates(DuplicateOutcome::kRejected) == 1);
  CHECK(h.sent_on(2).empty());
  h.feed(seconds(3), BytesIn{1, encode(Ping{7, 1})});
  CHECK(h.sent_on(1) == MK{MsgKind::kPong});  // conn 1 still owns the IP
  h.accept(seconds(4), 3, "10.0.0.6");        // another IP: no duplicate
  CHECK(h.sent_on(3) == MK{MsgKind::kAck, MsgKind::kGetPeers});
}

TEST_CASE("conn: 083e136 - a dial in progress reserves the IP for the duplicate rule") {
  VersionProfile p = profile("post-fix");
  p.dial_rule = DialRule::kBoth;
  p.conn.duplicate = DuplicatePolicy::kReject;
  for (const bool reserves : {false, true}) {
    CAPTURE(reserves);
    p.conn.dialer_reserves_ip = reserves;
    Harness h("10.0.0.9", {"10.0.0.5"}, p);  // Start dialled 10.0.0.5: still dialling
    h.accept(seconds(1), 1, "10.0.0.5");
    CHECK(h.closed(1) == (reserves ? CloseReason::kDuplicateConnection : CloseReason::kNone));
    // Once the dial completes, the outbound counts either way.
    h.feed(seconds(2), Connected{2, Direction::kOutbound, 0, {}, 0});
    h.accept(seconds(3), 3, "10.0.0.5");
    CHECK(h.closed(3) == CloseReason::kDuplicateConnection);
  }
}

TEST_CASE("conn: tie-break-outbound (4233e37) - against an outbound the lower IP accepts") {
  VersionProfile p = profile("post-fix");
  p.dial_rule = DialRule::kBoth;
  p.conn.duplicate = DuplicatePolicy::kTieBreakOutbound;
  for (const std::string self : {"10.0.0.2", "10.0.0.9"}) {
    CAPTURE(self);
    Harness h(self, {"10.0.0.5"}, p);
    h.feed(seconds(1), Connected{1, Direction::kOutbound, 0, {}, 0});
    h.accept(seconds(2), 2, "10.0.0.5");
    const bool lower = self == "10.0.0.2";
    CHECK(h.closed(2) == (lower ? CloseReason::kNone : CloseReason::kDuplicateConnection));
    CHECK(h.closed(1) == CloseReason::kNone);  // the yielding side's outbound stays open
    // A further inbound is rejected whatever the IPs (the entry is Inbound, or Outbound
    // and we are higher).
    h.accept(seconds(3), 3, "10.0.0.5");
    CHECK(h.closed(3) == CloseReason::kDuplicateConnection);
  }
}

TEST_CASE("conn: 35af045 - the dialer's writer replaces the listener's for the IP") {
  VersionProfile p = profile("hypothetical-full-outbound");  // outbound connections are registered
  p.dial_rule = DialRule::kBoth;
  p.conn.duplicate = DuplicatePolicy::kAccept;  // 1f246fd..: the inbound is accepted
  Harness h("10.0.0.9", {"10.0.0.5"}, p);
  h.accept(seconds(1), 2, "10.0.0.5");
  h.feed(seconds(2), Connected{1, Direction::kOutbound, 0, {}, 0});  // registers last
  h.feed(seconds(3), BytesIn{2, encode(Ping{7, 1})});
  CHECK(h.sent_on(2).empty());
  CHECK(h.sent_on(1) == MK{MsgKind::kPong});  // the listener's reply goes to the dialer's
  // The outbound ends: the IP has no writer left, the inbound's replies go nowhere.
  h.feed(seconds(4), Closed{1, CloseReason::kPeerClosed});
  h.feed(seconds(5), BytesIn{2, encode(Ping{8, 1})});
  CHECK(h.all<Send>().empty());
}

// ---- scenario YAML and the results DB ------------------------------------------------------

TEST_CASE("conn: scenario whitelist - top-level default, per-node list, strict errors") {
  auto s = sim::parse_scenario(R"(whitelist: [10.0.0.2, 10.0.0.3]
nodes:
  - {name: a, ip: 10.0.0.1, version: post-fix}
  - {name: b, ip: 10.0.0.2, version: post-fix, whitelist: []}
  - {name: c, ip: 10.0.0.3, version: post-fix, whitelist: [10.0.0.1]}
)",
                               "t.yaml");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  CHECK(s->whitelist == std::vector<std::string>{"10.0.0.2", "10.0.0.3"});
  CHECK_FALSE(s->nodes[0].has_whitelist);
  CHECK(s->nodes[1].has_whitelist);
  CHECK(s->nodes[1].whitelist.empty());
  CHECK(s->nodes[2].whitelist == std::vector<std::string>{"10.0.0.1"});
  auto err = [](const std::string& text) {
    auto r = sim::parse_scenario(text, "t.yaml");
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  const std::string node = "nodes:\n  - {ip: 10.0.0.1, version: post-fix";
  CHECK(err("whitelist: 10.0.0.2\n" + node + "}\n") ==
        "t.yaml:1:12: 'whitelist' must be a list of IPv4 addresses");
  CHECK(err(node + ", whitelist: [10.0.0.2, 10.0.0.300]}\n") ==
        "t.yaml:2:61: whitelist: '10.0.0.300' is not an IPv4 address");
  CHECK(err(node + ", whitelist: [10.0.0.2, 10.0.0.2]}\n") ==
        "t.yaml:2:61: whitelist: '10.0.0.2' is listed twice");
  CHECK(err(node + ", whitelist: [[1]]}\n") == "t.yaml:2:51: 'whitelist' must be a string");
}

TEST_CASE("conn: with both sides dialling, duplicates reach the results DB") {
  // 9fc70f4 (dial_rule both) with d6b4383's reject: each pair's second connection is
  // closed after its handshake; the node_events rows count the verdicts.
  auto s = sim::parse_scenario(R"(versions:
  both-reject: {base: post-fix, dial_rule: both, conn: {duplicate: reject}}
nodes:
  - {ip: 10.0.0.1, version: both-reject}
  - {ip: 10.0.0.2, version: both-reject}
  - {ip: 10.0.0.3, version: both-reject}
)",
                               "t.yaml");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  const auto r = test::run(*s, 1, seconds(30));
  const auto events =
      r.scalar("SELECT count(*) FROM node_events WHERE kind = 'duplicate_connection'");
  const auto closes =
      r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'duplicate_connection'");
  CHECK(events >= 1);
  CHECK(closes == r.scalar("SELECT count(*) FROM node_events WHERE kind = "
                           "'duplicate_connection' AND detail = 'rejected'"));
  CHECK(closes >= 1);
}
