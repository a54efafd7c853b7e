// Peer exchange (VersionProfile::pex): a PeersResponse adds dial candidates, the periodic pass
// dials them, the hourly cleanup_stale_peers drops them. Node inputs/outputs, then one
// scenario on a line topology. Expected values come from the source's constants:
//   the periodic pass every 120 s                       client.rs:226-228 at ea701a4
//   candidates read at each pass (get_all_peers)        client.rs:284, peer_manager.rs:216-223
//   add_peer_candidate, last_seen 0                     peer_manager.rs:105-123
//   cleanup every 3600 s, first tick at the start        peer_manager.rs:290-295
//   stale: now - last_seen > 7 days (always, for 0)     peer_manager.rs:306-308
//   the listener learns from PeersResponse              server.rs:609-620
//   GetPeers -> PeersResponse(get_all_peers())          server.rs:580-586
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "node_core/node.h"
#include "node_core/peer_exchange.h"
#include "test_util.h"

using namespace ts;
using namespace ts::node;

namespace {

constexpr const char* kD = "10.0.0.1";   // the dialer: sorts first, so it dials L
constexpr const char* kL = "10.0.0.2";   // the node under test, a listener of D
constexpr const char* kX = "10.0.0.3";   // learned from D; sorts after L, so L dials it
constexpr const char* kY = "10.0.0.10";  // learned; sorts before L ("10.0.0.1" < "10.0.0.2")

struct Pex {
  VersionProfile profile;
  std::vector<std::string> hosts;  // NodeConfig::dialable_ips (sorted)
  Node node;
  std::vector<Output> out;
  SimTime now = 0;  // of the last input

  static NodeConfig cfg(const char* ip, std::vector<std::string> seeds,
                        const std::vector<std::string>* hosts) {
    NodeConfig c;
    c.ip = ip;
    c.clock_epoch_unix_s = 1766106000;
    for (auto& s : seeds)
      c.peers.push_back(PeerAddr{s});
    c.dialable_ips = hosts;
    return c;
  }
  Pex(const VersionProfile& p, const char* ip, std::vector<std::string> seeds,
      std::vector<std::string> dialable = {})
      : profile(p),
        hosts(std::move(dialable)),
        node(cfg(ip, std::move(seeds), hosts.empty() ? nullptr : &hosts), profile, 1) {}

  std::vector<Output>& feed(SimTime at, const Input& in) {
    out.clear();
    now = at;
    node.handle(at, in);
    node.drain(out);
    return out;
  }
  template <typename T>
  std::vector<T> all() const {
    std::vector<T> r;
    for (const auto& o : out)
      if (auto* p = std::get_if<T>(&o)) r.push_back(*p);
    return r;
  }
  SimTime timer_at(TimerKind k) const {
    SimTime at = kNever;
    for (const auto& t : all<SetTimer>())
      if (t.id.kind == k) at = t.at;
    return at;
  }
  // An inbound connection `conn` from `ip` that completes its Handshake at `now`.
  void accept(SimTime now, ConnId conn, const char* ip) {
    feed(now, Connected{conn, Direction::kInbound, 0, ip, 50000});
    feed(now, BytesIn{conn, encode(Handshake{kMagic, 1, "mainnet"})});
  }
  std::vector<std::string> addresses() const {
    std::vector<std::string> r;
    for (const auto& p : node.config().peers)
      r.push_back(p.ip);
    return r;
  }
  // The peers a periodic pass at `now` dials: the pass's first dial at once, then one per
  // 100 ms step until a step dials nothing. Returns their IPs; `next_pass` gets the time of
  // the following pass.
  std::vector<std::string> pass(SimTime at, SimTime* next_pass = nullptr) {
    std::vector<std::string> dialled;
    feed(at, TimerFired{{TimerKind::kRedialPass, 0}});
    for (int step = 0; step < 100; ++step) {
      for (const auto& d : all<Dial>())
        dialled.push_back(node.config().peers[d.peer].ip);
      const SimTime next = timer_at(TimerKind::kPassStep);
      if (next == kNever) break;
      feed(next, TimerFired{{TimerKind::kPassStep, 0}});
    }
    if (next_pass) *next_pass = timer_at(TimerKind::kRedialPass);
    return dialled;
  }
  // Sends GetPeers on inbound connection `conn` and returns the PeersResponse's entries.
  std::vector<std::string> ask(SimTime at, ConnId conn) {
    feed(at, BytesIn{conn, encode(GetPeers{})});
    for (const auto& s : all<Send>()) {
      if (s.kind != MsgKind::kPeersResponse) continue;
      auto m = decode_line(std::string_view(s.bytes).substr(0, s.bytes.size() - 1));
      REQUIRE(m.ok());
      return std::get<PeersResponse>(*m).peers;
    }
    FAIL("no PeersResponse");
    return {};
  }
};

PeersResponse response(std::vector<std::string> peers) {
  PeersResponse r;
  r.peers = std::move(peers);
  return r;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("pex: a PeersResponse entry's IP is the text before its last ':'") {
  CHECK(candidate_ip("10.0.0.3:24100") == "10.0.0.3");
  CHECK(candidate_ip("10.0.0.3") == "10.0.0.3");
  CHECK(candidate_ip("") == "");
}

TEST_CASE(
    "pex: the listener sends GetPeers; the next 120 s pass dials what a PeersResponse named") {
  Pex h(*find_profile("post-fix"), kL, {kD});
  h.feed(0, Start{});
  CHECK(h.all<Dial>().empty());  // D sorts first: D dials L
  CHECK(h.timer_at(TimerKind::kRedialPass) == seconds(120));
  h.accept(seconds(1), 7, kD);
  bool get_peers = false;
  for (const auto& s : h.all<Send>())
    get_peers |= s.kind == MsgKind::kGetPeers;
  CHECK(get_peers);  // server.rs:357-358: after the Ack

  h.feed(seconds(2), BytesIn{7, encode(response({std::string(kX) + ":24100", kY}))});
  CHECK(h.all<Dial>().empty());  // candidates wait for the pass
  CHECK(h.addresses() == std::vector<std::string>{kD, kX, kY});
  CHECK(h.node.config().peers[1].port == kTestnetPort);  // dialled on the network's port
  // The first cleanup tick after the learning: the start + 3600 s.
  CHECK(h.timer_at(TimerKind::kPexPurge) == seconds(3600));

  SimTime next = 0;
  CHECK(h.pass(seconds(120), &next) == std::vector<std::string>{kX});  // not kY: it dials L
  CHECK(next == seconds(120) + millis(100) + seconds(120));
}

TEST_CASE("pex: the hourly purge drops learned candidates from GetPeers answers and later passes") {
  VersionProfile p = *find_profile("post-fix");
  p.timers.max_dial_failures_other = 1;  // each dial task gives up at its first failure
  Pex h(p, kL, {kD});
  h.feed(0, Start{});
  h.accept(seconds(1), 7, kD);
  h.feed(seconds(2), BytesIn{7, encode(response({kX}))});
  CHECK(h.ask(seconds(3), 7) == std::vector<std::string>{"10.0.0.1:24100", "10.0.0.3:24100"});

  SimTime next = 0;
  REQUIRE(h.pass(seconds(120), &next) == std::vector<std::string>{kX});
  h.feed(seconds(121), DialFailed{1, CloseReason::kConnectRefused});  // given up
  REQUIRE(h.pass(next, &next) == std::vector<std::string>{kX});       // a listed one: a new task
  h.feed(next + seconds(1), DialFailed{1, CloseReason::kConnectRefused});

  // Up to the tick every pass starts a new task for the given-up candidate.
  while (next < seconds(3600)) {
    REQUIRE(h.pass(next, &next) == std::vector<std::string>{kX});
    h.feed(h.now, DialFailed{1, CloseReason::kConnectRefused});
  }
  h.feed(std::max(h.now, seconds(3600)), TimerFired{{TimerKind::kPexPurge, 0}});
  CHECK(h.timer_at(TimerKind::kPexPurge) == kNever);  // re-armed only by a new candidate
  CHECK(h.ask(h.now, 7) == std::vector<std::string>{"10.0.0.1:24100"});
  CHECK(h.pass(std::max(h.now, next), &next).empty());  // dropped: no task for it any more

  // Named again: a candidate again, same entry, dialled afresh; the next tick is 7200 s.
  h.feed(h.now, BytesIn{7, encode(response({std::string(kX) + ":24100"}))});
  CHECK(h.timer_at(TimerKind::kPexPurge) == seconds(7200));
  CHECK(h.addresses() == std::vector<std::string>{kD, kX});
  CHECK(h.pass(next, &next) == std::vector<std::string>{kX});
}

TEST_CASE("pex: a purge leaves a learned peer's open connection and its reconnects alone") {
  Pex h(*find_profile("post-fix"), kL, {kD});
  h.feed(0, Start{});
  h.accept(seconds(1), 7, kD);
  h.feed(seconds(2), BytesIn{7, encode(response({kX}))});
  REQUIRE(h.pass(seconds(120)) == std::vector<std::string>{kX});
  h.feed(seconds(121), Connected{8, Direction::kOutbound, 1, {}, 0});
  h.feed(seconds(3600), TimerFired{{TimerKind::kPexPurge, 0}});
  CHECK(h.all<Close>().empty());
  CHECK(h.node.established_connections() == 2);
  // The session ends: the connection task redials after the 5 s reconnect delay
  // (client.rs:391, :451), whatever the candidate list says.
  h.feed(seconds(3700), Closed{8});
  CHECK(h.timer_at(TimerKind::kRedial) == seconds(3705));
  h.feed(seconds(3705), TimerFired{{TimerKind::kRedial, 1}});
  REQUIRE(h.all<Dial>().size() == 1);
  CHECK(h.all<Dial>()[0].peer == 1);
}

TEST_CASE("pex: no entries for the own address, a seed's address or a host the run lacks") {
  Pex h(*find_profile("post-fix"), kL, {kD}, {kD, kL, kX});  // dialable: sorted
  h.feed(0, Start{});
  h.accept(seconds(1), 7, kD);
  h.feed(seconds(2), BytesIn{7, encode(response({"10.0.0.2:24100", "10.0.0.1:9999", "10.9.9.9",
                                                 "10.0.0.3:1", "10.0.0.3:2"}))});
  CHECK(h.addresses() == std::vector<std::string>{kD, kX});
}

TEST_CASE("pex: switches - listener_learns, dialer_learns, purge_interval 0") {
  SUBCASE("listener_learns off: a PeersResponse changes nothing") {
    VersionProfile p = *find_profile("post-fix");
    p.pex.listener_learns = false;
    Pex h(p, kL, {kD});
    h.feed(0, Start{});
    h.accept(seconds(1), 7, kD);
    h.feed(seconds(2), BytesIn{7, encode(response({kX}))});
    CHECK(h.all<SetTimer>().empty());
    CHECK(h.addresses() == std::vector<std::string>{kD});
    CHECK(h.pass(seconds(120)).empty());
  }
  SUBCASE("a dialer that handles PeersResponse learns only with dialer_learns") {
    for (const bool learns : {false, true}) {
      CAPTURE(learns);
      VersionProfile p = *find_profile("hypothetical-full-outbound");  // handles every message
      p.pex.dialer_learns = learns;
      Pex h(p, kD, {kL});  // D dials L at its start-up pass
      h.feed(0, Start{});
      REQUIRE(h.all<Dial>().size() == 1);
      h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});
      h.feed(millis(20), BytesIn{1, encode(response({std::string(kX) + ":24100"}))});
      CHECK(has(h.addresses(), kX) == learns);
      h.feed(millis(100), TimerFired{{TimerKind::kPassStep, 0}});  // the start-up pass ends
      const SimTime next = h.timer_at(TimerKind::kRedialPass);
      REQUIRE(next == millis(100) + seconds(120));
      CHECK(has(h.pass(next), kX) == learns);
    }
  }
  SUBCASE("purge_interval 0: candidates are never dropped, no timer") {
    VersionProfile p = *find_profile("post-fix");
    p.pex.purge_interval_ns = 0;
    Pex h(p, kL, {kD});
    h.feed(0, Start{});
    h.accept(seconds(1), 7, kD);
    h.feed(seconds(2), BytesIn{7, encode(response({kX}))});
    CHECK(h.timer_at(TimerKind::kPexPurge) == kNever);
    h.feed(seconds(3600), TimerFired{{TimerKind::kPexPurge, 0}});  // a stray tick: ignored
    CHECK(h.ask(seconds(3601), 7) == std::vector<std::string>{"10.0.0.1:24100", "10.0.0.3:24100"});
  }
}

TEST_CASE("pex: dialer_answer - a dialer answers GetPeers with its known or its connected peers") {
  for (const PexAnswer answer : {PexAnswer::kKnown, PexAnswer::kConnected}) {
    CAPTURE(static_cast<int>(answer));
    VersionProfile p = *find_profile("hypothetical-full-outbound");  // answers GetPeers
    p.pex.dialer_answer = answer;
    Pex h(p, kD, {kL, kX, "10.0.0.4"});  // D sorts first: it dials all three, 100 ms apart
    h.feed(0, Start{});
    h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});  // L
    h.feed(millis(100), TimerFired{{TimerKind::kPassStep, 0}});
    h.feed(millis(110), Connected{2, Direction::kOutbound, 1, {}, 0});  // X; 10.0.0.4 never
    const auto got = h.ask(millis(120), 1);
    if (answer == PexAnswer::kKnown)  // get_all_peers(): every entry, ip:port
      CHECK(got == std::vector<std::string>{"10.0.0.2:24100", "10.0.0.3:24100", "10.0.0.4:24100"});
    else  // get_connected_peers(): the connected IPs, bare
      CHECK(got == std::vector<std::string>{kL, kX});
  }
}

// A line of seed lists X - D - L (node order), IPs D < L < X: D dials both; L, D's listener,
// sends GetPeers; D's dialer (hypothetical-full-outbound handles every message) answers with
// its peer list {X, L}; L learns X and dials it at its first periodic pass, 120 s after its
// start-up pass, which dialled nothing (L's only seed, D, dials L). X learns L from D too, but
// L sorts first: X waits for L's dial. Without learning, X and L never connect.
TEST_CASE("pex scenario: on a line, the listener learns the far end and dials it at 120 s") {
  const std::string text = R"(name: pex_line
seed: 1
duration: 2h
epoch: 1766106000
versions:
  no-pex: {base: hypothetical-full-outbound, pex: {listener_learns: false}}
latency:
  default: {model: fixed, value: 10ms}
topology: {kind: line}
nodes:
  - {name: x, ip: 10.0.0.3, version: VERSION}
  - {name: d, ip: 10.0.0.1, version: VERSION}
  - {name: l, ip: 10.0.0.2, version: VERSION}
)";
  for (const std::string version : {"hypothetical-full-outbound", "no-pex"}) {
    CAPTURE(version);
    std::string yaml = text;
    for (std::size_t at; (at = yaml.find("VERSION")) != std::string::npos;)
      yaml.replace(at, 7, version);
    auto sc = sim::parse_scenario(yaml, "pex_line.yaml");
    REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
    const auto r = test::run(*sc, 1, 2 * kHour);
    const bool learns = version == "hypothetical-full-outbound";
    // D's two seed links, each one connection open for the whole run.
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 1 AND listener IN (0, 2) "
                   "AND t_handshake_ns IS NOT NULL AND open_at_end = 1") == 2);
    // L -> X: one connection, dialled at 120 s exactly, handshaken, still open after the
    // purge at 3600 s (open connections are not touched).
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 2 AND listener = 0") ==
          (learns ? 1 : 0));
    if (learns)
      CHECK(r.rows("SELECT t_dial_ns, t_handshake_ns IS NOT NULL, open_at_end FROM connections "
                   "WHERE dialer = 2 AND listener = 0") ==
            std::vector<std::vector<std::string>>{{std::to_string(seconds(120)), "1", "1"}});
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE dialer = 0 AND listener = 2") == 0);
  }
}
