// node_core::Node driven directly: inputs in, drained outputs checked. No sim, no sockets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node_core/node.h"
#include "node_harness.h"

using namespace ts;
using namespace ts::node;

namespace {

// A node plus the outputs it produced, for assertions.
struct Harness : test::NodeHarness {
  Harness(std::string ip, std::vector<std::string> peers, const char* version,
          std::uint64_t seed = 1)
      : Harness(std::move(ip), std::move(peers), *find_profile(version), seed) {}
  Harness(std::string ip, std::vector<std::string> peers, const VersionProfile& profile,
          std::uint64_t seed = 1)
      : NodeHarness(make_cfg(std::move(ip), std::move(peers)), profile, seed) {}

  static NodeConfig make_cfg(std::string ip, std::vector<std::string> peers) {
    NodeConfig c = test::node_config(std::move(ip), std::move(peers));
    c.clock_epoch_unix_s = 1766106000;
    return c;
  }
  std::vector<MsgKind> sent_kinds() const {
    std::vector<MsgKind> r;
    for (const auto& s : all<Send>())
      r.push_back(s.kind);
    return r;
  }
  // Appends the nonces of the pings the last feed sent (kPingSent notes), in order.
  void append_ping_nonces(std::vector<std::uint64_t>& nonces) const {
    for (const auto& n : all<Note>())
      if (n.kind == NoteKind::kPingSent) nonces.push_back(static_cast<std::uint64_t>(n.value));
  }
  SimTime timer_at(TimerKind k, std::uint32_t slot = 0) const {
    SimTime at = kNever;
    for (const auto& t : all<SetTimer>())
      if (t.id.kind == k && t.id.slot == slot) at = t.at;
    return at;
  }
};

std::string line(const Message& m) {
  return encode(m);
}

}  // namespace

TEST_CASE("node: dials only peers whose IP string sorts after its own, 100 ms apart") {
  // String order, not numeric: "165.232..." < "165.84..." < "178..." < "50..." < "64..." < "69..."
  Harness h("165.84.215.117",
            {"50.28.104.50", "165.232.154.150", "178.128.199.144", "64.91.241.10"}, "post-fix");
  h.feed(0, Start{});
  auto dials = h.all<Dial>();
  REQUIRE(dials.size() == 1);  // the pass dials one peer, then sleeps 100 ms
  CHECK(dials[0].peer == 0);   // 50.28.104.50
  CHECK(h.timer_at(TimerKind::kPassStep) == millis(100));
  h.feed(millis(100), TimerFired{{TimerKind::kPassStep, 0}});
  REQUIRE(h.all<Dial>().size() == 1);
  CHECK(h.all<Dial>()[0].peer == 2);  // 178.128.199.144
  h.feed(millis(200), TimerFired{{TimerKind::kPassStep, 0}});
  REQUIRE(h.all<Dial>().size() == 1);
  CHECK(h.all<Dial>()[0].peer == 3);  // 64.91.241.10
  h.feed(millis(300), TimerFired{{TimerKind::kPassStep, 0}});
  CHECK(h.all<Dial>().empty());  // 165.232.154.150 sorts first: it dials us
  CHECK(h.timer_at(TimerKind::kRedialPass) == millis(300) + seconds(120));
  CHECK(ts::node::dials("165.232.154.150", "165.84.215.117"));
  CHECK_FALSE(ts::node::dials("64.91.241.10", "165.84.215.117"));
}

TEST_CASE("node: dial rules - string order, numeric octets (346590a), both sides (9fc70f4)") {
  using ts::node::DialRule;
  // "165.84..." < "50.28..." as text, but 165 > 50 as a number: the two rules disagree.
  CHECK(ts::node::dials(DialRule::kStringLower, "165.84.215.117", "50.28.104.50"));
  CHECK(ts::node::dials(DialRule::kOctetsHigher, "165.84.215.117", "50.28.104.50"));
  CHECK_FALSE(ts::node::dials(DialRule::kOctetsHigher, "50.28.104.50", "165.84.215.117"));
  // Octets, not text: 10.0.0.9 < 10.0.0.10 numerically although "10.0.0.9" > "10.0.0.10".
  CHECK(ts::node::dials(DialRule::kOctetsHigher, "10.0.0.10", "10.0.0.9"));
  CHECK_FALSE(ts::node::dials(DialRule::kOctetsHigher, "10.0.0.9", "10.0.0.10"));
  // Not dotted-quad IPv4: string order, the higher dials.
  CHECK(ts::node::dials(DialRule::kOctetsHigher, "host-b", "host-a"));
  CHECK(ts::node::dials(DialRule::kBoth, "10.0.0.9", "10.0.0.10"));
  CHECK(ts::node::dials(DialRule::kBoth, "10.0.0.10", "10.0.0.9"));

  // A node with the octets rule dials exactly the peers below it.
  VersionProfile octets = *find_profile("post-fix");
  octets.dial_rule = DialRule::kOctetsHigher;
  Harness h("165.84.215.117", {"50.28.104.50", "165.232.154.150", "178.128.199.144"}, octets);
  h.feed(0, Start{});
  auto first = h.all<Dial>();
  REQUIRE(first.size() == 1);
  CHECK(first[0].peer == 0);  // 50.28.104.50 < 165.84.215.117
  h.feed(millis(100), TimerFired{{TimerKind::kPassStep, 0}});
  CHECK(h.all<Dial>().empty());  // 165.232 and 178.128 are higher: they dial us
}

TEST_CASE(
    "node: pre-fix dialer pings twice at connect, no Handshake, post-fix sends Handshake first") {
  for (const char* version : {"pre-fix", "logging-fix", "post-fix"}) {
    CAPTURE(version);
    Harness h("1.1.1.1", {"2.2.2.2"}, version);
    h.feed(0, Start{});
    h.feed(millis(50), Connected{77, Direction::kOutbound, 0, {}, 0});
    const bool fixed = std::string(version) == "post-fix";
    std::vector<MsgKind> expected;
    if (fixed) expected.push_back(MsgKind::kHandshake);
    expected.push_back(MsgKind::kPing);
    expected.push_back(MsgKind::kPing);
    CHECK(h.sent_kinds() == expected);
    if (fixed)
      CHECK(h.all<Send>()[0].bytes ==
            "{\"Handshake\":{\"magic\":[84,73,77,69],\"protocol_version\":1,\"network\":"
            "\"mainnet\"}}\n");
    // Ping timestamps are the node's wall clock in unix seconds.
    auto ping =
        decode_line(h.all<Send>().back().bytes.substr(0, h.all<Send>().back().bytes.size() - 1));
    REQUIRE(ping.ok());
    CHECK(std::get<Ping>(*ping).timestamp == 1766106000);
    CHECK(h.timer_at(TimerKind::kPingTick) == millis(50) + seconds(30));
    // No check yet: the first tick that could count a miss (100 s) is after the next ping
    // tick, which will arm it if the pings are still unanswered then.
    CHECK(h.timer_at(TimerKind::kPingCheck) == kNever);
  }
}

TEST_CASE("node: logging-fix and pre-fix put identical bytes on the wire") {
  auto run = [](const char* version) {
    Harness h("1.1.1.1", {"2.2.2.2", "3.3.3.3"}, version, 99);
    std::vector<std::string> wire;
    auto grab = [&](std::vector<Output>& out) {
      for (auto& o : out)
        if (auto* s = std::get_if<Send>(&o))
          wire.push_back(std::to_string(s->conn) + ":" + s->bytes);
    };
    grab(h.feed(0, Start{}));
    grab(h.feed(millis(40), Connected{1, Direction::kOutbound, 0, {}, 0}));
    grab(h.feed(millis(80),
                BytesIn{1, line(Ack{"Handshake"}) + line(GetPeers{}) + line(Ping{5, 6})}));
    grab(h.feed(millis(100), TimerFired{{TimerKind::kPassStep, 0}}));
    grab(h.feed(millis(150), Connected{2, Direction::kOutbound, 1, {}, 0}));
    grab(h.feed(seconds(30) + millis(40), TimerFired{{TimerKind::kPingTick, 0}}));
    grab(h.feed(seconds(31), Connected{3, Direction::kInbound, 0, "0.0.0.9", 5000}));
    grab(h.feed(seconds(32), BytesIn{3, line(Handshake{kMagic, 1, "testnet"}) + line(Ping{1, 2})}));
    return wire;
  };
  const auto pre = run("pre-fix");
  const auto logging = run("logging-fix");
  CHECK(pre.size() > 6);
  CHECK(pre == logging);
}

TEST_CASE("node: inbound closes on a message before the handshake, with the incident's log line") {
  Harness h("9.9.9.9", {"1.1.1.1"}, "post-fix");
  h.feed(0, Start{});
  h.feed(seconds(1), Connected{5, Direction::kInbound, 0, "1.1.1.1", 49152});
  CHECK(h.out.empty());  // the listener waits; it sends nothing first
  h.feed(seconds(1) + 1, BytesIn{5, line(Ping{1, 2}) + line(Ping{3, 4})});
  auto notes = h.all<Note>();
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].kind == NoteKind::kProtocolError);
  CHECK(notes[0].value == static_cast<int>(ProtocolErrorKind::kMessageBeforeHandshake));
  CHECK(notes[0].text ==
        "1.1.1.1:49152 sent message before handshake - closing connection (not blacklisting)");
  auto closes = h.all<Close>();
  REQUIRE(closes.size() == 1);
  CHECK(closes[0].conn == 5);
  CHECK(closes[0].reason == CloseReason::kMessageBeforeHandshake);
  CHECK(h.all<Send>().empty());  // the second ping is never answered
  CHECK(h.node.open_connections() == 0);
}

TEST_CASE("node: the log line names an inbound peer exactly as the driver gave its address") {
  // Dotted-quad addresses are kept as 6 bytes and written back; anything else (an IPv6
  // literal, a leading zero that would not round-trip) is kept as text.
  for (const char* ip : {"0.0.0.0", "255.255.255.255", "10.20.30.40", "::1", "010.1.1.1", "1.2.3",
                         "1.2.3.4.5", "256.1.1.1", "a.b.c.d", ""}) {
    CAPTURE(ip);
    Harness h("9.9.9.9", {"1.1.1.1"}, "post-fix");
    h.feed(0, Start{});
    h.feed(seconds(1), Connected{5, Direction::kInbound, 0, ip, 65535});
    h.feed(seconds(2), BytesIn{5, line(Ping{1, 2})});
    const auto notes = h.all<Note>();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].text == std::string(ip) +
                               ":65535 sent message before handshake - closing connection (not "
                               "blacklisting)");
  }
}

TEST_CASE("node: inbound answers a valid Handshake with Ack then GetPeers, then serves the peer") {
  Harness h("9.9.9.9", {"1.1.1.1", "2.2.2.2"}, "pre-fix");
  h.feed(0, Start{});
  h.feed(seconds(1), Connected{5, Direction::kInbound, 0, "1.1.1.1", 49152});
  h.feed(seconds(2), BytesIn{5, line(Handshake{kMagic, 1, "mainnet"})});  // network is not checked
  auto sends = h.all<Send>();
  REQUIRE(sends.size() == 2);
  CHECK(sends[0].bytes == "{\"Ack\":{\"message_type\":\"Handshake\"}}\n");
  CHECK(sends[1].bytes == "\"GetPeers\"\n");
  h.feed(seconds(3), BytesIn{5, line(Ping{42, 1}) + line(GetPeers{})});
  sends = h.all<Send>();
  REQUIRE(sends.size() == 2);
  auto pong = decode_line(sends[0].bytes.substr(0, sends[0].bytes.size() - 1));
  REQUIRE(pong.ok());
  CHECK(std::get<Pong>(*pong).nonce == 42);
  CHECK(std::get<Pong>(*pong).timestamp == 1766106000 + 3);
  CHECK(sends[1].bytes == "{\"PeersResponse\":[\"1.1.1.1:24100\",\"2.2.2.2:24100\"]}\n");
  CHECK(h.all<Close>().empty());
}

TEST_CASE(
    "node: inbound rejects a bad magic, a bad version and the old protocol, a first bad line is "
    "only a violation") {
  struct Case {
    std::string bytes;
    ProtocolErrorKind kind;
    CloseReason reason;  // kNone: the connection stays open
  };
  const Case cases[] = {
      {line(Handshake{{1, 2, 3, 4}, 1, "x"}), ProtocolErrorKind::kBadMagic,
       CloseReason::kBadHandshake},
      {line(Handshake{kMagic, 2, "x"}), ProtocolErrorKind::kBadProtocolVersion,
       CloseReason::kBadHandshake},
      {std::string("~W~M\x01\x00\x10\n", 8), ProtocolErrorKind::kOldProtocol,
       CloseReason::kOldProtocol},
      {"\"NoSuchThing\"\n", ProtocolErrorKind::kUnknownVariant, CloseReason::kNone},
      {"{not json\n", ProtocolErrorKind::kInvalidJson, CloseReason::kNone},
  };
  for (const auto& c : cases) {
    CAPTURE(c.bytes);
    Harness h("9.9.9.9", {"1.1.1.1"}, "post-fix");
    h.feed(0, Start{});
    h.feed(1, Connected{5, Direction::kInbound, 0, "1.1.1.1", 50000});
    h.feed(2, BytesIn{5, c.bytes});
    auto notes = h.all<Note>();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].value == static_cast<int>(c.kind));
    CHECK(h.all<Ban>().empty());  // one violation bans nobody
    if (c.reason == CloseReason::kNone) {
      CHECK(h.all<Close>().empty());
    } else {
      REQUIRE(h.all<Close>().size() == 1);
      CHECK(h.all<Close>()[0].reason == c.reason);
    }
    CHECK(h.all<Send>().empty());
  }
}

TEST_CASE(
    "node: a variant the build lacks is an unknown variant (6e08456 BFT, 6df971e heartbeat)") {
  VersionProfile no_bft = *find_profile("post-fix");
  no_bft.wire.bft = false;
  no_bft.wire.heartbeat = false;
  const std::string lines[] = {line(BlockProposal{Block{}, "1.1.1.1", 0}),
                               line(Heartbeat{"1.1.1.1", 1, 5})};
  for (const auto& l : lines) {
    CAPTURE(l);
    for (const VersionProfile* p :
         {find_profile("post-fix"), static_cast<const VersionProfile*>(&no_bft)}) {
      Harness h("9.9.9.9", {"1.1.1.1"}, *p);
      h.feed(0, Start{});
      h.feed(1, Connected{5, Direction::kInbound, 0, "1.1.1.1", 50000});
      h.feed(2, BytesIn{5, line(Handshake{kMagic, 1, "testnet"})});
      h.feed(3, BytesIn{5, l});
      int unknown = 0;
      for (const auto& n : h.all<Note>())
        unknown += n.kind == NoteKind::kProtocolError &&
                   n.value == static_cast<int>(ProtocolErrorKind::kUnknownVariant);
      CHECK(unknown == (p == &no_bft ? 1 : 0));
      // A third such line is the IP's third violation: a 5-minute ban and a close.
      h.feed(4, BytesIn{5, l + l});
      CHECK(h.all<Ban>().size() == (p == &no_bft ? 1u : 0u));
    }
  }
}

TEST_CASE("node: the handshake magic is the build's own (a122294 mainnet C01D7E4D)") {
  VersionProfile mainnet = *find_profile("post-fix");
  mainnet.handshake_magic = HandshakeMagic::kMainnet;
  Harness dialer("1.1.1.1", {"2.2.2.2"}, mainnet);
  dialer.feed(0, Start{});
  dialer.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
  auto hs =
      decode_line(dialer.all<Send>().at(0).bytes.substr(0, dialer.all<Send>()[0].bytes.size() - 1));
  REQUIRE(hs.ok());
  CHECK(std::get<Handshake>(*hs).magic == kMainnetMagic);
  // A mainnet listener refuses the incident commits' "TIME" and accepts its own magic.
  for (const auto& magic : {kMagic, kMainnetMagic}) {
    Harness h("9.9.9.9", {"1.1.1.1"}, mainnet);
    h.feed(0, Start{});
    h.feed(1, Connected{5, Direction::kInbound, 0, "1.1.1.1", 50000});
    h.feed(2, BytesIn{5, line(Handshake{magic, 1, "mainnet"})});
    CHECK(h.all<Close>().size() == (magic == kMagic ? 1u : 0u));
  }
}

TEST_CASE("node: outbound drops everything but Ping/Pong, answers Ping, matches Pong") {
  Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix");
  h.feed(0, Start{});
  h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});
  std::uint64_t nonce = 0;
  for (auto& n : h.all<Note>())
    if (n.kind == NoteKind::kPingSent) nonce = static_cast<std::uint64_t>(n.value);
  h.feed(millis(30), BytesIn{1, line(Ack{"Handshake"}) + line(GetPeers{}) + line(Ping{7, 1}) +
                                    line(Pong{nonce, 1}) + line(Pong{12345, 1})});
  int dropped = 0, matched = 0, unmatched = 0;
  for (auto& n : h.all<Note>()) {
    dropped += n.kind == NoteKind::kMessageDropped;
    unmatched += n.kind == NoteKind::kPongUnmatched;
    if (n.kind == NoteKind::kPongMatched) {
      ++matched;
      CHECK(n.value == millis(20));  // RTT: sent at 10 ms, answered at 30 ms
    }
  }
  CHECK(dropped == 2);  // Ack and GetPeers: never handled on an outbound connection
  CHECK(matched == 1);
  CHECK(unmatched == 1);
  CHECK(h.sent_kinds() == std::vector<MsgKind>{MsgKind::kPong});  // only the Ping is answered
}

TEST_CASE("node: outbound logs a bad line and keeps reading, as upstream does") {
  Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix");
  h.feed(0, Start{});
  h.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
  h.feed(2, BytesIn{1, "garbage\n" + line(Ping{1, 1})});
  CHECK(h.all<Close>().empty());
  CHECK(h.sent_kinds() == std::vector<MsgKind>{MsgKind::kPong});
  int errors = 0;
  for (auto& n : h.all<Note>())
    errors += n.kind == NoteKind::kProtocolError;
  CHECK(errors == 1);
}

TEST_CASE(
    "node: pings every 30 s, 3 pings older than 90 s close the connection, redial 5 s later") {
  Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix");
  h.feed(0, Start{});
  h.feed(0, Connected{1, Direction::kOutbound, 0, {}, 0});  // pings at 0 s (x2)
  // The check runs on a 10 s grid from the connect; it is armed, by the last ping tick
  // before it, for the first grid tick at which the oldest unanswered ping is more than 90 s
  // old.
  SimTime tick = seconds(30), check = kNever;
  SimTime closed_at = kNever;
  std::vector<SimTime> checks;
  // No pong ever comes back. Drive both timers in time order until the node closes.
  for (int guard = 0; guard < 100 && closed_at == kNever; ++guard) {
    const bool tick_first = tick <= check;
    const SimTime now = tick_first ? tick : check;
    h.feed(now, TimerFired{{tick_first ? TimerKind::kPingTick : TimerKind::kPingCheck, 0}});
    if (tick_first) {
      CHECK(h.sent_kinds() == std::vector<MsgKind>{MsgKind::kPing});
      tick = h.timer_at(TimerKind::kPingTick);
      CHECK(tick == now + seconds(30));
    } else {
      checks.push_back(now);
      check = kNever;  // consumed
      if (!h.all<Close>().empty()) {
        closed_at = now;
        CHECK(h.all<Close>()[0].reason == CloseReason::kPongTimeout);
        break;
      }
    }
    for (const auto& t : h.all<SetTimer>())
      if (t.id.kind == TimerKind::kPingCheck) check = t.at;
  }
  CHECK(checks == std::vector<SimTime>{seconds(100), seconds(130)});
  // The two connect-time pings expire at the first check after 90 s (100 s: 90 is not > 90),
  // the 30 s ping at the first check after 120 s (130 s): three misses then.
  CHECK(closed_at == seconds(130));
  CHECK(h.timer_at(TimerKind::kRedial) == seconds(130) + seconds(5));
  h.feed(seconds(135), TimerFired{{TimerKind::kRedial, 0}});
  CHECK(h.all<Dial>().size() == 1);
}

TEST_CASE("node: a matched pong resets the miss count - at most 5 nonces stay pending") {
  Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix");
  h.feed(0, Start{});
  h.feed(0, Connected{1, Direction::kOutbound, 0, {}, 0});
  std::vector<std::uint64_t> nonces;
  auto collect = [&] { h.append_ping_nonces(nonces); };
  collect();
  for (int i = 1; i <= 4; ++i) {
    h.feed(seconds(30) * i, TimerFired{{TimerKind::kPingTick, 0}});
    collect();
  }
  REQUIRE(nonces.size() == 6);
  // The oldest nonce was forgotten: its Pong no longer matches (the later-fixed bug).
  h.feed(seconds(121), BytesIn{1, line(Pong{nonces[0], 0}) + line(Pong{nonces[1], 0})});
  auto notes = h.all<Note>();
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].kind == NoteKind::kPongUnmatched);
  CHECK(notes[1].kind == NoteKind::kPongMatched);
}

TEST_CASE("node: an established connection that ends is redialled after 5 s") {
  Harness h("1.1.1.1", {"2.2.2.2"}, "pre-fix");
  h.feed(0, Start{});
  h.feed(millis(100), Connected{1, Direction::kOutbound, 0, {}, 0});
  h.feed(millis(200), Closed{1, CloseReason::kPeerClosed});
  CHECK(h.timer_at(TimerKind::kRedial) == millis(200) + seconds(5));
  CHECK(h.all<Dial>().empty());
  h.feed(millis(200) + seconds(5), TimerFired{{TimerKind::kRedial, 0}});
  CHECK(h.all<Dial>().size() == 1);
  // A stale timer event (an old deadline) is ignored.
  h.feed(millis(200) + seconds(6), TimerFired{{TimerKind::kRedial, 0}});
  CHECK(h.all<Dial>().empty());
}

TEST_CASE(
    "node: failed dials back off 10, 20, 40 ... 300 s, give up after 10 at the incident commits, "
    "next pass retries") {
  // The peer is a masternode, but remote masternodes are never active at the incident
  // commits: it is dialled as a regular peer, so the regular limit applies.
  Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix");
  REQUIRE(h.node.config().peers[0].masternode);
  const std::uint32_t limit = h.node.profile().timers.max_dial_failures_other;
  CHECK(limit == 10);
  h.feed(0, Start{});
  SimTime now = 0;
  std::vector<Duration> backoffs;
  for (std::uint32_t attempt = 1; attempt <= limit; ++attempt) {
    h.feed(now, DialFailed{0, CloseReason::kConnectRefused});
    const SimTime at = h.timer_at(TimerKind::kRedial);
    if (attempt == limit) {
      CHECK(at == kNever);
      bool gave_up = false;
      for (auto& n : h.all<Note>())
        gave_up = gave_up || n.kind == NoteKind::kPeerGivenUp;
      CHECK(gave_up);
      break;
    }
    backoffs.push_back(at - now);
    now = at;
    h.feed(now, TimerFired{{TimerKind::kRedial, 0}});
    REQUIRE(h.all<Dial>().size() == 1);
  }
  REQUIRE(backoffs.size() == limit - 1);
  CHECK(backoffs[0] == seconds(10));
  CHECK(backoffs[1] == seconds(20));
  CHECK(backoffs[2] == seconds(40));
  CHECK(backoffs[4] == seconds(160));
  CHECK(backoffs[5] == seconds(300));
  CHECK(backoffs[8] == seconds(300));
}

TEST_CASE("node: the 120 s pass redials peers that are not connected and not backing off") {
  Harness h("1.1.1.1", {"2.2.2.2", "3.3.3.3", "4.4.4.4"}, "post-fix");
  h.feed(0, Start{});                                          // dials peer 0
  h.feed(millis(100), TimerFired{{TimerKind::kPassStep, 0}});  // dials peer 1
  h.feed(millis(200), TimerFired{{TimerKind::kPassStep, 0}});  // dials peer 2
  h.feed(millis(300), TimerFired{{TimerKind::kPassStep, 0}});  // pass over
  const SimTime pass = h.timer_at(TimerKind::kRedialPass);
  CHECK(pass == millis(300) + seconds(120));
  h.feed(seconds(1), Connected{1, Direction::kOutbound, 0, {}, 0});  // peer 0 up
  h.feed(seconds(1), DialFailed{1, CloseReason::kConnectRefused});   // peer 1 backs off 10 s
  // peer 2's dial is still pending at the pass: not redialled either
  h.feed(seconds(2), Connected{2, Direction::kOutbound, 2, {}, 0});
  h.feed(seconds(3), Closed{2, CloseReason::kPeerClosed});  // peer 2 waits 5 s
  h.feed(seconds(8), TimerFired{{TimerKind::kRedial, 2}});  // redials peer 2
  CHECK(h.all<Dial>().size() == 1);
  h.feed(seconds(9), DialFailed{2, CloseReason::kConnectRefused});  // backs off 10 s
  h.feed(pass, TimerFired{{TimerKind::kRedialPass, 0}});
  CHECK(h.all<Dial>().empty());  // connected, or backing off: nothing to dial
}

TEST_CASE("node: the ping check is armed only for the tick that can count a miss") {
  Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix");
  h.feed(0, Start{});
  h.feed(0, Connected{1, Direction::kOutbound, 0, {}, 0});
  std::vector<std::uint64_t> nonces;
  auto collect = [&] { h.append_ping_nonces(nonces); };
  collect();
  REQUIRE(nonces.size() == 2);
  CHECK(h.timer_at(TimerKind::kPingCheck) == kNever);  // 100 s is after the 30 s tick
  h.feed(millis(100), BytesIn{1, line(Pong{nonces[0], 0}) + line(Pong{nonces[1], 0})});
  CHECK(h.all<SetTimer>().empty());
  // Pings at 30, 60 and 90 s go unanswered. The 30 s ping is a miss after 120 s, at the
  // 130 s grid tick; the 120 s ping tick comes first, so it is the one that arms 130 s.
  for (int k = 1; k <= 3; ++k) {
    h.feed(seconds(30) * k, TimerFired{{TimerKind::kPingTick, 0}});
    CHECK(h.timer_at(TimerKind::kPingCheck) == kNever);
  }
  h.feed(seconds(120), TimerFired{{TimerKind::kPingTick, 0}});
  CHECK(h.timer_at(TimerKind::kPingCheck) == seconds(130));
  // A stale check event does nothing.
  h.feed(seconds(125), TimerFired{{TimerKind::kPingCheck, 0}});
  CHECK(h.all<Close>().empty());
  CHECK(h.all<Note>().empty());
  // At 130 s: one miss (the 30 s ping); the 60 s ping is next, at the 160 s tick, after the
  // 150 s ping tick: left to it.
  h.feed(seconds(130), TimerFired{{TimerKind::kPingCheck, 0}});
  REQUIRE(h.all<Note>().size() == 1);
  CHECK(h.all<Note>()[0].kind == NoteKind::kPingMissed);
  CHECK(h.all<Close>().empty());
  h.feed(seconds(150), TimerFired{{TimerKind::kPingTick, 0}});
  CHECK(h.timer_at(TimerKind::kPingCheck) == seconds(160));
}

TEST_CASE("node: a build without the BFT messages runs no block slots (6e08456: TSDC)") {
  for (const bool bft : {true, false}) {
    CAPTURE(bft);
    VersionProfile p = *find_profile("post-fix");
    p.wire.bft = bft;
    NodeConfig cfg = Harness::make_cfg("1.1.1.1", {"2.2.2.2"});
    cfg.consensus = true;
    Node n(cfg, p, 1);
    std::vector<Output> out;
    n.handle(0, Start{});
    n.drain(out);
    int slots = 0, heartbeats = 0;
    for (const auto& o : out) {
      if (const auto* t = std::get_if<SetTimer>(&o)) {
        slots += t->id.kind == TimerKind::kBlockSlot;
        heartbeats += t->id.kind == TimerKind::kHeartbeat;
      }
    }
    CHECK(slots == (bft ? 1 : 0));
    CHECK(heartbeats == 1);  // the masternode layer still runs
  }
}

TEST_CASE("node: logging-fix logs what it drops, pre-fix drops it silently, same bytes (b5513be)") {
  std::vector<std::string> sent[2];
  std::vector<std::string> logged[2];
  int i = 0;
  for (const char* version : {"pre-fix", "logging-fix"}) {
    Harness h("1.1.1.1", {"2.2.2.2"}, version);
    h.feed(0, Start{});
    h.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
    for (const auto& s : h.all<Send>())
      sent[i].push_back(s.bytes.substr(0, s.bytes.find("nonce")));  // nonces aside
    h.feed(2, BytesIn{1, line(Ack{"Handshake"}) + line(GetPeers{})});
    for (const auto& n : h.all<Note>())
      if (n.kind == NoteKind::kMessageDropped) logged[i].push_back(n.text);
    ++i;
  }
  CHECK(sent[0] == sent[1]);
  REQUIRE(logged[0].size() == 2);
  CHECK(logged[0] == std::vector<std::string>{"", ""});
  // peer_connection.rs:410-417 names five variants; Ack and GetPeers are "Other".
  CHECK(logged[1] == std::vector<std::string>{"Received message from 2.2.2.2:24100 (type: Other)",
                                              "Received message from 2.2.2.2:24100 (type: Other)"});
}

// Node::set_payload_pool: a send takes its buffer from the pool's back, and the bytes are
// the message's alone, whatever the buffer held; with the pool unset it allocates.
TEST_CASE("node: sends reuse the payload pool's buffers and write only their own bytes") {
  const std::string junk(256, 'X');  // longer than any message sent here
  std::vector<std::string> pool(8, junk);
  const char* const first_buffer = pool.back().data();
  std::vector<std::string> sent[2];
  for (int pooled = 0; pooled < 2; ++pooled) {
    Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix", 7);
    if (pooled) h.node.set_payload_pool(&pool);
    h.feed(0, Start{});
    h.feed(millis(40), Connected{1, Direction::kOutbound, 0, {}, 0});
    for (const auto& o : h.out)
      if (const auto* s = std::get_if<Send>(&o)) {
        if (pooled && sent[1].empty()) CHECK(s->bytes.data() == first_buffer);
        sent[pooled].push_back(s->bytes);
      }
  }
  REQUIRE(sent[0].size() >= 2);  // Handshake first, then more (a Ping)
  CHECK(sent[1] == sent[0]);
  REQUIRE(pool.size() == 8 - sent[0].size());  // one buffer taken per send, from the back
  for (const auto& left : pool)
    CHECK(left == junk);
}

// Node::set_ping_pool: a connection's pending-ping set takes its buffer from the pool's back
// when it has none, and gives it back when the set empties or the connection ends (unless
// the pool is full or the buffer too large). Pongs match as they do without a pool.
TEST_CASE("node: pending-ping sets take their buffer from the ping pool and give it back") {
  std::vector<Node::PendingPings> pool(1);
  pool.back().reserve(4);
  const auto* const buffer = pool.back().data();
  Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix", 7);
  h.node.set_ping_pool(&pool);
  h.feed(0, Start{});
  h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});
  std::vector<std::uint64_t> nonces;
  h.append_ping_nonces(nonces);
  REQUIRE(nonces.size() == 2);  // the connect path's ping and the first tick's
  CHECK(pool.empty());          // the set holds the pool's buffer
  h.feed(millis(30), BytesIn{1, line(Pong{nonces[0], 1})});
  CHECK(pool.empty());  // one still pending
  h.feed(millis(31), BytesIn{1, line(Pong{nonces[1], 1})});
  CHECK(h.all<Note>().front().kind == NoteKind::kPongMatched);
  REQUIRE(pool.size() == 1);  // the emptied set gave its buffer back
  CHECK(pool.back().data() == buffer);
  CHECK(pool.back().empty());
  h.feed(seconds(30) + millis(10), TimerFired{{TimerKind::kPingTick, 0}});
  CHECK(pool.empty());
  h.feed(seconds(31), Closed{1, CloseReason::kPeerClosed});  // a ping still pending
  REQUIRE(pool.size() == 1);  // the ended connection's set gave it back
  CHECK(pool.back().data() == buffer);
  CHECK(pool.back().empty());
}

TEST_CASE("node: the ping pool takes back only real buffers, and at most kPooledPingSets") {
  std::vector<Node::PendingPings> pool;
  SUBCASE("a connection that never held a buffer gives nothing back") {
    Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix", 7);
    h.node.set_ping_pool(&pool);
    h.feed(0, Start{});
    h.feed(millis(5), Connected{5, Direction::kInbound, 0, "3.3.3.3", 50000});
    h.feed(millis(6), Closed{5, CloseReason::kPeerClosed});
    CHECK(pool.empty());
    h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});
    std::vector<std::uint64_t> nonces;
    h.append_ping_nonces(nonces);
    REQUIRE(nonces.size() == 2);
    h.feed(millis(30), BytesIn{1, line(Pong{nonces[0], 1}) + line(Pong{nonces[1], 1})});
    REQUIRE(pool.size() == 1);  // the emptied set's buffer
    h.feed(millis(40), Closed{1, CloseReason::kPeerClosed});
    CHECK(pool.size() == 1);  // its set, already given back, adds no empty entry
    CHECK(pool.back().capacity() != 0);
  }
  SUBCASE("a full pool frees the buffer instead") {
    for (std::size_t i = 0; i + 1 < Node::kPooledPingSets; ++i) {
      pool.emplace_back();
      pool.back().reserve(1);
    }
    for (int round = 0; round < 2; ++round) {
      Harness h("1.1.1.1", {"2.2.2.2"}, "post-fix", 7);
      h.feed(0, Start{});
      h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});  // no pool: allocates
      h.node.set_ping_pool(&pool);
      h.feed(seconds(1), Closed{1, CloseReason::kPeerClosed});  // two pings pending
      CHECK(pool.size() == Node::kPooledPingSets);              // round 0 filled the last place
    }
    CHECK(pool.back().capacity() >= 2);  // round 0's buffer (two pings) took the last place
    for (std::size_t i = 0; i + 1 < pool.size(); ++i)
      CHECK(pool[i].capacity() == 1);
  }
}
