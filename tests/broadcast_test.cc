// The server broadcast channel (node_core/broadcast_channel.h, node_core/node_broadcast.cc,
// VersionProfile::broadcast): the incident commits' listener BFT relay and the channel's
// capacity against a subscriber whose write is blocked. Expected values come from the
// upstream source at ea701a4 / 31ad283 (cited per case).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node_core/node.h"
#include "node_core/profile_fields.h"

using namespace ts;
using namespace ts::node;

namespace {

struct Harness {
  VersionProfile profile;  // a copy: the node keeps a pointer
  Node node;
  std::vector<Output> out;

  // ip: 9.9.9.9 is above every peer, so under the string rule the peers dial it.
  Harness(const VersionProfile& p, bool consensus, const char* ip = "9.9.9.9")
      : profile(p), node(make_cfg(consensus, ip), profile, 1) {}
  static NodeConfig make_cfg(bool consensus, const char* ip) {
    NodeConfig c;
    c.ip = ip;
    c.clock_epoch_unix_s = 1766106000;
    c.consensus = consensus;
    for (const char* ip : {"2.2.2.2", "3.3.3.3", "4.4.4.4"})
      c.peers.push_back(PeerAddr{ip});
    return c;
  }
  std::vector<Output>& feed(SimTime now, const Input& in) {
    out.clear();
    node.handle(now, in);
    node.drain(out);
    return out;
  }
  // Sends of `kind` on `conn` in the last feed.
  int sent(ConnId conn, MsgKind kind) const {
    int n = 0;
    for (const auto& o : out)
      if (const auto* s = std::get_if<Send>(&o)) n += s->conn == conn && s->kind == kind;
    return n;
  }
  std::vector<Close> closes() const {
    std::vector<Close> r;
    for (const auto& o : out)
      if (const auto* c = std::get_if<Close>(&o)) r.push_back(*c);
    return r;
  }
  // Inbound connections 1, 2, 3 from the three peers, past their handshakes.
  void three_listeners(SimTime at) {
    const char* ips[] = {"2.2.2.2", "3.3.3.3", "4.4.4.4"};
    for (ConnId id = 1; id <= 3; ++id) {
      feed(at, Connected{id, Direction::kInbound, 0, ips[id - 1], 50000});
      feed(at, BytesIn{id, encode(Handshake{kMagic, 1, "mainnet"})});
    }
  }
};

VersionProfile relaying(const char* name) {
  VersionProfile p = *find_profile(name);
  p.broadcast.relay_bft = true;
  return p;
}

std::string lines(const Message& m, int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += encode(m);
  return s;
}

const Message kVote = BlockVote{77, 5, "3.3.3.3", true};
const Message kCommit = BlockCommit{77, 5, {"3.3.3.3"}};

}  // namespace

TEST_CASE("broadcast: the defaults - the incident commits relay BFT, channel capacity 1024") {
  // server.rs:716-728 at ea701a4/b5513be/31ad283 relays; 6e08456 removed the handler (and
  // the variants: wire.bft off); the hypothetical later transport has none either.
  for (const auto& p : all_profiles()) {
    CAPTURE(p.name);
    const bool upstream = p.commit != "none" && p.commit != "planted";
    CHECK(p.broadcast.relay_bft == (upstream && p.wire.bft));
    CHECK(p.broadcast.capacity == 1024);  // broadcast::channel(1024), server.rs:58
  }
  for (const char* name : {"pre-fix", "logging-fix", "post-fix"})
    CHECK(find_profile(name)->broadcast.relay_bft);
  CHECK_FALSE(find_profile("hypothetical-full-outbound")->broadcast.relay_bft);
  VersionProfile quiet = *find_profile("pre-fix");
  quiet.broadcast.relay_bft = false;
  Harness h(quiet, false);
  h.three_listeners(0);
  h.feed(seconds(1), BytesIn{2, encode(kVote)});
  for (ConnId id = 1; id <= 3; ++id)
    CHECK(h.sent(id, MsgKind::kBlockVote) == 0);
}

TEST_CASE("broadcast: a listener relays every BFT message to all its listener connections") {
  // ea701a4/31ad283 server.rs:716-728: BlockProposal, BlockVote, BlockCommit are handled,
  // then broadcast_tx.send(msg) unconditionally; every listener connection's task forwards
  // it (:782-796), the arriving connection's too. No duplicate check: a repeat is relayed
  // again. Masternode or not, the listener runs this code.
  for (const char* name : {"pre-fix", "logging-fix", "post-fix"}) {
    for (bool consensus : {false, true}) {
      CAPTURE(name);
      CAPTURE(consensus);
      Harness h(relaying(name), consensus);
      h.three_listeners(0);
      struct Case {
        Message m;
        MsgKind kind;
      };
      const Block b{5, 1, 1766106000, "3.3.3.3", 99, {}};
      for (const Case& c : {Case{kVote, MsgKind::kBlockVote}, Case{kCommit, MsgKind::kBlockCommit},
                            Case{BlockProposal{b, "3.3.3.3", 0}, MsgKind::kBlockProposal}}) {
        CAPTURE(msg_kind_name(c.kind));
        h.feed(seconds(1), BytesIn{2, lines(c.m, 2)});
        for (ConnId id = 1; id <= 3; ++id)
          CHECK(h.sent(id, c.kind) == 2);
      }
    }
  }
}

TEST_CASE("broadcast: the dialer does not relay; the relay goes to the IP's writer") {
  // The relay is the listener's code only (client.rs's dialer has none at ea701a4).
  VersionProfile p = relaying("post-fix");
  p.outbound_handles_all_messages = true;
  Harness h(p, false, "1.1.1.1");  // below every peer: it dials them
  h.feed(0, Start{});              // dials peer 0 (2.2.2.2) at once
  h.feed(millis(10), Connected{10, Direction::kOutbound, 0, {}, 0});
  h.feed(millis(20), Connected{2, Direction::kInbound, 0, "3.3.3.3", 50000});
  h.feed(millis(20), BytesIn{2, encode(Handshake{kMagic, 1, "mainnet"})});
  h.feed(seconds(1), BytesIn{10, encode(kVote)});
  for (ConnId id : {2, 10})
    CHECK(h.sent(id, MsgKind::kBlockVote) == 0);
  // A second listener connection from 3.3.3.3 replaces its writer (insert,
  // peer_connection_registry.rs:38-41): both subscribers write to it (send_to_peer(ip)).
  h.feed(seconds(2), Connected{4, Direction::kInbound, 0, "3.3.3.3", 50001});
  h.feed(seconds(2), BytesIn{4, encode(Handshake{kMagic, 1, "mainnet"})});
  h.feed(seconds(3), BytesIn{2, encode(kVote)});
  CHECK(h.sent(2, MsgKind::kBlockVote) == 0);
  CHECK(h.sent(4, MsgKind::kBlockVote) == 2);
  CHECK(h.sent(10, MsgKind::kBlockVote) == 0);  // dialer connections are not subscribers
}

TEST_CASE("broadcast: a relay never leaves on a dialer connection (no relay loops)") {
  // Relaying commits register listener writers only (dialer writers from 35af045): the
  // model keeps relays off dialer connections even when the profile registers them.
  VersionProfile p = relaying("post-fix");
  p.outbound_writes_broadcasts = true;
  Harness h(p, false, "1.1.1.1");
  h.feed(0, Start{});  // dials peer 0 (2.2.2.2) at once
  h.feed(millis(5), Connected{1, Direction::kInbound, 0, "2.2.2.2", 50000});
  h.feed(millis(5), BytesIn{1, encode(Handshake{kMagic, 1, "mainnet"})});  // lower: accepted
  h.feed(millis(6), Connected{2, Direction::kInbound, 0, "3.3.3.3", 50000});
  h.feed(millis(6), BytesIn{2, encode(Handshake{kMagic, 1, "mainnet"})});
  h.feed(millis(10), Connected{10, Direction::kOutbound, 0, {}, 0});  // now 2.2.2.2's writer
  h.feed(seconds(1), BytesIn{2, encode(kVote)});
  CHECK(h.sent(2, MsgKind::kBlockVote) == 1);
  CHECK(h.sent(1, MsgKind::kBlockVote) == 0);
  CHECK(h.sent(10, MsgKind::kBlockVote) == 0);
}

TEST_CASE("broadcast: a blocked subscriber writes what it missed, up to the capacity") {
  // tokio broadcast::channel(1024) (server.rs:58): a receiver that has not taken the
  // oldest of 1024 newer messages still gets every one of them.
  Harness h(relaying("post-fix"), false);
  h.three_listeners(0);
  h.feed(seconds(1), WriteBlocked{1, true});
  h.feed(seconds(2), BytesIn{2, lines(kCommit, 1024)});
  CHECK(h.sent(1, MsgKind::kBlockCommit) == 0);     // held while the write is blocked
  CHECK(h.sent(2, MsgKind::kBlockCommit) == 1024);  // the others write at once
  CHECK(h.sent(3, MsgKind::kBlockCommit) == 1024);
  h.feed(seconds(3), WriteBlocked{1, false});
  CHECK(h.sent(1, MsgKind::kBlockCommit) == 1024);
  CHECK(h.closes().empty());
  // Caught up: the next one goes straight out.
  h.feed(seconds(4), BytesIn{2, encode(kCommit)});
  CHECK(h.sent(1, MsgKind::kBlockCommit) == 1);
}

TEST_CASE("broadcast: one message past the capacity and the listener connection ends") {
  // Message 1025 overwrites the oldest one the blocked receiver has not taken: its next
  // recv() is Err(Lagged) and `Err(_) => break` ends the connection (server.rs:797).
  Harness h(relaying("post-fix"), false);
  h.three_listeners(0);
  h.feed(seconds(1), WriteBlocked{1, true});
  h.feed(seconds(2), BytesIn{2, lines(kCommit, 1025)});
  CHECK(h.closes().empty());  // it is still stuck in the write
  h.feed(seconds(3), WriteBlocked{1, false});
  CHECK(h.sent(1, MsgKind::kBlockCommit) == 0);
  const auto c = h.closes();
  REQUIRE(c.size() == 1);
  CHECK(c[0].conn == 1);
  CHECK(c[0].reason == CloseReason::kBroadcastLagged);
  CHECK(close_reason_name(CloseReason::kBroadcastLagged) == "broadcast_lagged");
  CHECK(h.node.open_connections() == 2);
  // broadcast.capacity 0: unbounded, nothing lags.
  VersionProfile p = relaying("post-fix");
  p.broadcast.capacity = 0;
  Harness u(p, false);
  u.three_listeners(0);
  u.feed(seconds(1), WriteBlocked{1, true});
  u.feed(seconds(2), BytesIn{2, lines(kCommit, 1025)});
  u.feed(seconds(3), WriteBlocked{1, false});
  CHECK(u.sent(1, MsgKind::kBlockCommit) == 1025);
  CHECK(u.closes().empty());
}

TEST_CASE("broadcast: the node's own broadcasts wait in the channel too") {
  // Own heartbeats go through the server's channel (main.rs:840 set_broadcast_channel,
  // masternode_registry.rs:536-550 broadcast_message), every 60 s (main.rs:482).
  Harness h(*find_profile("post-fix"), true);
  h.feed(0, Start{});
  h.three_listeners(millis(1));
  h.feed(seconds(1), WriteBlocked{2, true});
  h.feed(seconds(60), TimerFired{TimerId{TimerKind::kHeartbeat, 0}});
  CHECK(h.sent(1, MsgKind::kHeartbeat) == 1);
  CHECK(h.sent(2, MsgKind::kHeartbeat) == 0);
  h.feed(seconds(61), WriteBlocked{2, false});
  CHECK(h.sent(2, MsgKind::kHeartbeat) == 1);
  // A connection that ends while blocked leaves nothing behind.
  h.feed(seconds(62), WriteBlocked{3, true});
  h.feed(seconds(120), TimerFired{TimerId{TimerKind::kHeartbeat, 0}});
  h.feed(seconds(121), Closed{3, CloseReason::kReset});
  h.feed(seconds(122), WriteBlocked{3, false});
  CHECK(h.out.empty());
}
