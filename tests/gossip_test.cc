// Masternode gossip (node_core/gossip.cc, VersionProfile::gossip): the dialer's handled
// kinds, announcements and GetMasternodes on connect and every heartbeat tick, registration
// from announcements and lists, the heartbeat relay and the registry-driven masternode class
// of the dial loops. Expected values come from the upstream source (cited per case).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node_core/node.h"
#include "node_harness.h"

using namespace ts;
using namespace ts::node;

namespace {

// A consensus-running node (the masternode layer owns the registry) plus its outputs.
struct GossipHarness : test::NodeHarness {
  GossipHarness(std::string ip, std::vector<std::string> peers, const VersionProfile& p,
                std::vector<std::string> on_disk = {})
      : NodeHarness(make_cfg(std::move(ip), std::move(peers), std::move(on_disk)), p) {}
  static NodeConfig make_cfg(std::string ip, std::vector<std::string> peers,
                             std::vector<std::string> on_disk) {
    NodeConfig c = test::node_config(std::move(ip), std::move(peers));
    c.clock_epoch_unix_s = 1766106000;
    c.consensus = true;
    c.registry_on_disk = std::move(on_disk);
    return c;
  }
  std::vector<MsgKind> sent_kinds(ConnId conn) const { return sent_on(conn); }
  // An inbound connection from `ip` whose Handshake is accepted at `at`.
  void inbound(SimTime at, ConnId conn, const char* ip) {
    feed(at, Connected{conn, Direction::kInbound, 0, ip, 50000});
    feed(at, BytesIn{conn, encode(Handshake{kMagic, 1, "mainnet"})});
  }
};

std::string announcement_line(const std::string& address) {
  std::string zeros = "0";
  for (int i = 1; i < 32; ++i)
    zeros += ",0";
  return "{\"MasternodeAnnouncement\":{\"address\":\"" + address + "\",\"reward_address\":\"" +
         address + "\",\"tier\":\"Free\",\"public_key\":[" + zeros + "]}}\n";
}

VersionProfile post_fix() {
  return *find_profile("post-fix");
}

}  // namespace

TEST_CASE("gossip: the dialer handles exactly the groups the profile lists") {
  struct Case {
    bool GossipPolicy::*group;
    Message m;
    MsgKind kind;
  };
  const Case cases[] = {
      {&GossipPolicy::outbound_handles_masternodes, Opaque{MsgKind::kMasternodesResponse, "[]"},
       MsgKind::kMasternodesResponse},
      {&GossipPolicy::outbound_handles_blocks, BlocksResponse{}, MsgKind::kBlocksResponse},
      {&GossipPolicy::outbound_handles_get_blocks, GetBlocks{1, 5}, MsgKind::kGetBlocks},
      {&GossipPolicy::outbound_handles_heartbeats, Heartbeat{"2.2.2.2", 1, 1}, MsgKind::kHeartbeat},
  };
  for (const auto& c : cases) {
    CAPTURE(msg_kind_name(c.kind));
    for (bool on : {false, true}) {
      CAPTURE(on);
      VersionProfile p = post_fix();
      p.gossip.*c.group = on;
      GossipHarness h("1.1.1.1", {"2.2.2.2"}, p);
      h.feed(0, Start{});
      h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});
      // Another group's message is dropped whatever this group says.
      const Message other =
          c.kind == MsgKind::kGetBlocks ? Message{BlocksResponse{}} : Message{GetBlocks{1, 5}};
      h.feed(millis(20), BytesIn{1, encode(c.m) + encode(other)});
      CHECK(h.notes(NoteKind::kMessageHandled) == (on ? 1 : 0));
      CHECK(h.notes(NoteKind::kMessageDropped) == (on ? 1 : 2));
      // 7aebaea peer_connection.rs:1099-1130: GetBlocks is answered with a BlocksResponse.
      if (c.kind == MsgKind::kGetBlocks)
        CHECK(h.sent_kinds(1) ==
              (on ? std::vector<MsgKind>{MsgKind::kBlocksResponse} : std::vector<MsgKind>{}));
    }
  }
}

TEST_CASE("gossip: the dialer registers announced and listed masternodes (80b5edf)") {
  VersionProfile p = post_fix();
  p.gossip.outbound_handles_masternodes = true;
  GossipHarness h("1.1.1.1", {"2.2.2.2"}, p);
  h.feed(0, Start{});
  h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});
  CHECK(h.node.active_masternodes(millis(10)) == 1);  // itself
  // peer_connection.rs:527-556: the announced address, not the sender's IP.
  h.feed(millis(20), BytesIn{1, announcement_line("7.7.7.7")});
  CHECK(h.node.active_masternodes(millis(20)) == 2);
  // :560-595: every entry of a MasternodesResponse (7.7.7.7 again: a refresh).
  const std::string list = announcement_line("8.8.8.8").substr(26);  // {"address":...}
  const std::string body = list.substr(0, list.size() - 2);          // without "}\n"
  h.feed(millis(30), BytesIn{1, "{\"MasternodesResponse\":[" + body + "," +
                                    announcement_line("7.7.7.7").substr(26, body.size()) + "]}\n"});
  CHECK(h.node.active_masternodes(millis(30)) == 3);
  // GetMasternodes is only logged by the dialer until 505b8a3.
  h.feed(millis(40), BytesIn{1, "\"GetMasternodes\"\n"});
  CHECK(h.notes(NoteKind::kMessageDropped) == 1);
  CHECK(h.sent_kinds(1).empty());
}

TEST_CASE("gossip: the listener's on-connect sequence - all (f9f913d), own (ae360c0)") {
  for (auto mode : {OnConnectAnnounce::kNone, OnConnectAnnounce::kAll, OnConnectAnnounce::kOwn}) {
    CAPTURE(static_cast<int>(mode));
    VersionProfile p = post_fix();
    p.gossip.on_connect_announce = mode;
    p.gossip.on_connect_get_masternodes = mode != OnConnectAnnounce::kNone;
    GossipHarness h("9.9.9.9", {}, p, {"5.5.5.5", "6.6.6.6"});
    h.feed(0, Start{});
    h.inbound(seconds(1), 5, "1.1.1.1");
    // server.rs:338-363 at f9f913d: Ack, one announcement per registered masternode, GetPeers,
    // GetMasternodes.
    std::vector<MsgKind> expected{MsgKind::kAck};
    const std::size_t anns = mode == OnConnectAnnounce::kAll   ? 3
                             : mode == OnConnectAnnounce::kOwn ? 1
                                                               : 0;
    expected.insert(expected.end(), anns, MsgKind::kMasternodeAnnouncement);
    expected.push_back(MsgKind::kGetPeers);
    if (mode != OnConnectAnnounce::kNone) expected.push_back(MsgKind::kGetMasternodes);
    REQUIRE(h.sent_kinds(5) == expected);
    if (mode == OnConnectAnnounce::kOwn) {
      CHECK(h.all<Send>()[1].bytes == announcement_line("9.9.9.9"));
      CHECK(h.all<Send>()[3].bytes == "\"GetMasternodes\"\n");
    }
  }
}

TEST_CASE("gossip: every heartbeat tick sends announcement, GetMasternodes, heartbeat (925de6b)") {
  VersionProfile p = post_fix();
  p.gossip.announce_every_heartbeat = true;
  p.gossip.get_masternodes_every_heartbeat = true;
  GossipHarness h("9.9.9.9", {}, p);
  h.feed(0, Start{});
  h.inbound(seconds(1), 5, "1.1.1.1");
  h.feed(seconds(60), TimerFired{{TimerKind::kHeartbeat, 0}});
  // main.rs heartbeat loop at 925de6b: announcement, GetMasternodes, then the heartbeat.
  CHECK(h.sent_kinds(5) == std::vector<MsgKind>{MsgKind::kMasternodeAnnouncement,
                                                MsgKind::kGetMasternodes, MsgKind::kHeartbeat});
  CHECK(h.all<Send>()[0].bytes == announcement_line("9.9.9.9"));
  // a896294: the periodic announcement is gone, GetMasternodes stays.
  p.gossip.announce_every_heartbeat = false;
  GossipHarness h2("9.9.9.9", {}, p);
  h2.feed(0, Start{});
  h2.inbound(seconds(1), 5, "1.1.1.1");
  h2.feed(seconds(60), TimerFired{{TimerKind::kHeartbeat, 0}});
  CHECK(h2.sent_kinds(5) == std::vector<MsgKind>{MsgKind::kGetMasternodes, MsgKind::kHeartbeat});
}

TEST_CASE("gossip: the listener registers an announcer's IP, not before 5 s") {
  GossipHarness h("9.9.9.9", {}, post_fix());
  h.feed(0, Start{});
  h.inbound(seconds(10), 5, "1.1.1.1");
  // server.rs:533-539 at ea701a4: a connection younger than 5 s is not yet stable.
  h.feed(seconds(14), BytesIn{5, announcement_line("7.7.7.7")});
  CHECK(h.node.active_masternodes(seconds(14)) == 1);
  // :545-556: the masternode registered is the sender's IP; the address field is ignored.
  h.feed(seconds(15), BytesIn{5, announcement_line("7.7.7.7")});
  CHECK(h.node.active_masternodes(seconds(15)) == 2);
  // server.rs:587-608: GetMasternodes -> MasternodesResponse(list_all()): 9.9.9.9, 1.1.1.1.
  h.feed(seconds(16), BytesIn{5, "\"GetMasternodes\"\n"});
  REQUIRE(h.sent_kinds(5) == std::vector<MsgKind>{MsgKind::kMasternodesResponse});
  const std::string r = h.all<Send>()[0].bytes;  // a copy: all() returns a temporary
  CHECK(r.find("\"address\":\"1.1.1.1\"") != std::string::npos);
  CHECK(r.find("\"address\":\"9.9.9.9\"") != std::string::npos);
  CHECK(r.find("7.7.7.7\",\"tier") == std::string::npos);
}

TEST_CASE("gossip: the listener registers MasternodesResponse entries only from f0b577d") {
  for (bool registers : {false, true}) {
    CAPTURE(registers);
    VersionProfile p = post_fix();
    p.gossip.listener_registers_masternode_lists = registers;
    GossipHarness h("9.9.9.9", {}, p);
    h.feed(0, Start{});
    h.inbound(seconds(1), 5, "1.1.1.1");
    const std::string entry = announcement_line("7.7.7.7").substr(26);
    h.feed(seconds(2),
           BytesIn{5, "{\"MasternodesResponse\":[" + entry.substr(0, entry.size() - 2) + "]}\n"});
    // ea701a4 server.rs:751 `_ => {}`; f0b577d server.rs:606-632 registers each entry.
    CHECK(h.node.active_masternodes(seconds(2)) == (registers ? 2 : 1));
  }
}

TEST_CASE("gossip: 341d8f4 relays every heartbeat to all inbound connections, dialers do not") {
  for (bool relay : {false, true}) {
    CAPTURE(relay);
    VersionProfile p = post_fix();
    p.gossip.relays_heartbeats = relay;
    p.gossip.outbound_handles_heartbeats = true;
    GossipHarness h("5.5.5.5", {"6.6.6.6"}, p);
    h.feed(0, Start{});
    h.feed(millis(1), Connected{1, Direction::kOutbound, 0, {}, 0});
    h.inbound(seconds(1), 5, "1.1.1.1");
    h.inbound(seconds(1), 6, "2.2.2.2");
    // server.rs:688-690: after processing, whatever its result (3.3.3.3 is not registered),
    // to every listener connection - the one it came on included. No duplicate check: the
    // same heartbeat again is relayed again.
    const std::string hb = encode(Heartbeat{"3.3.3.3", 4, 1766106000});
    for (int i = 0; i < 2; ++i) {
      h.feed(seconds(2 + i), BytesIn{5, hb});
      const auto sends = h.all<Send>();
      REQUIRE(sends.size() == (relay ? 2u : 0u));
      for (const auto& s : sends) {
        CHECK(s.bytes == hb);
        CHECK(s.conn != 1);  // not on the dialer connection
      }
    }
    // The dialer processes heartbeats (fed4376) but never relays them.
    h.feed(seconds(5), BytesIn{1, hb});
    CHECK(h.notes(NoteKind::kMessageHandled) == 1);
    CHECK(h.all<Send>().empty());
  }
}

// The failed dial at which the node gives up on its one peer 2.2.2.2 (0: not within 25).
std::uint32_t give_up_failure(const VersionProfile& p, std::vector<std::string> on_disk) {
  GossipHarness h("1.1.1.1", {"2.2.2.2"}, p, std::move(on_disk));
  h.feed(0, Start{});
  SimTime now = 0;
  for (std::uint32_t failure = 1; failure <= 25; ++failure) {
    h.feed(now, DialFailed{0, CloseReason::kConnectRefused});
    if (h.notes(NoteKind::kPeerGivenUp)) return failure;
    for (const auto& t : h.all<SetTimer>())
      if (t.id.kind == TimerKind::kRedial) now = t.at;
    h.feed(now, TimerFired{{TimerKind::kRedial, 0}});
    REQUIRE(h.all<Dial>().size() == 1);
  }
  return 0;
}

TEST_CASE("gossip: registry-driven masternode class - a registered peer gets the MN limit") {
  // client.rs:393 at ea701a4: 20 consecutive failed dials for a masternode, 10 for others;
  // the masternodes dialled: list_active() (ea701a4 :85) or list_all() (23cebb4 :101).
  VersionProfile p = post_fix();
  p.consensus.remove_after_ns = 0;  // stays registered for the whole test
  // 2.2.2.2 is in the registry database at start (main.rs loads it) and never heard again:
  // offline at the 240 s monitor tick (180 s silent), long before the 10th failure.
  CHECK(give_up_failure(p, {"2.2.2.2"}) == 10);  // seed-flag, remote_masternodes_active off
  p.gossip.masternode_peers = MasternodePeers::kRegistryAll;
  CHECK(give_up_failure(p, {"2.2.2.2"}) == 20);  // registered, inactive: still a masternode
  CHECK(give_up_failure(p, {}) == 10);           // not registered
  p.gossip.masternode_peers = MasternodePeers::kRegistryActive;
  // Active when the start-up pass spawns its task, which keeps the class (client.rs:393:
  // max_failures is fixed from the task's is_masternode), though offline from 240 s on.
  CHECK(give_up_failure(p, {"2.2.2.2"}) == 20);
  p.timers.masternode_offline_ns = 24 * kHour;  // stays active
  CHECK(give_up_failure(p, {"2.2.2.2"}) == 20);
}

TEST_CASE("gossip: 126d7ee marks a registered masternode inactive when the session ends") {
  for (bool marks : {false, true}) {
    CAPTURE(marks);
    VersionProfile p = post_fix();
    p.gossip.inactive_on_disconnect = marks;
    GossipHarness h("1.1.1.1", {"2.2.2.2"}, p, {"2.2.2.2"});
    h.feed(0, Start{});
    REQUIRE(h.all<Dial>().size() == 1);
    h.feed(millis(10), Connected{1, Direction::kOutbound, 0, {}, 0});
    CHECK(h.node.active_masternodes(seconds(1)) == 2);
    // client.rs:622 at 126d7ee: after the session, a registered peer is marked inactive.
    h.feed(seconds(1), Closed{1, CloseReason::kPeerClosed});
    CHECK(h.node.active_masternodes(seconds(1)) == (marks ? 1u : 2u));
  }
  // :524: a failed connect of a masternode-flagged task marks it too.
  VersionProfile p = post_fix();
  p.gossip.inactive_on_disconnect = true;
  p.gossip.masternode_peers = MasternodePeers::kRegistryAll;
  GossipHarness h("1.1.1.1", {"2.2.2.2"}, p, {"2.2.2.2"});
  h.feed(0, Start{});
  h.feed(millis(10), DialFailed{0, CloseReason::kConnectRefused});
  CHECK(h.node.active_masternodes(millis(10)) == 1);
}
