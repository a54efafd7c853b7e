// GossipPolicy: what a build sends and handles of the masternode gossip - announcements,
// GetMasternodes / MasternodesResponse, heartbeat relay - and which messages its dialer
// handles, as data (docs/history-facts.md e1a6086 .. f673ee8; docs/fidelity.md "Masternode
// gossip"). The defaults are the incident commits' (ea701a4, b5513be, 31ad283): nobody sends
// announcements or GetMasternodes, nothing is relayed, the dialer handles Ping/Pong only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace ts::node {

// Which masternode announcements a listener sends after a valid Handshake (between the Ack
// and GetPeers).
enum class OnConnectAnnounce : std::uint8_t {
  kNone,  // ea701a4 .. f9f913d^
  kAll,   // one per registered masternode, masternode_registry.get_all() (f9f913d)
  kOwn,   // only this node's (ae360c0)
};
inline constexpr std::array<std::string_view, 3> kOnConnectAnnounceNames = {"none", "all", "own"};

// Which peers the dial loops treat as masternodes (the masternode branches, give-up limit
// max_dial_failures_masternode).
enum class MasternodePeers : std::uint8_t {
  kSeedFlag,        // VersionProfile::remote_masternodes_active and PeerAddr::masternode
  kRegistryActive,  // the peers this node's registry lists as active (list_active())
  kRegistryAll,     // every peer registered here, active or not (list_all(), 23cebb4)
};
inline constexpr std::array<std::string_view, 3> kMasternodePeersNames = {
    "seed-flag", "registry-active", "registry-all"};

struct GossipPolicy {
  // Message groups the dialer handles besides Ping/Pong (VersionProfile::
  // outbound_handles_all_messages still means every message).
  bool outbound_handles_masternodes = false;  // MasternodeAnnouncement, MasternodesResponse
  bool outbound_handles_blocks = false;       // BlocksResponse, BlockAnnouncement (467a0f6)
  bool outbound_handles_get_blocks = false;   // GetBlocks -> BlocksResponse (7aebaea)
  bool outbound_handles_heartbeats = false;   // HeartbeatBroadcast, no relay (fed4376)

  OnConnectAnnounce on_connect_announce = OnConnectAnnounce::kNone;
  bool on_connect_get_masternodes = false;  // GetMasternodes after GetPeers (f9f913d)
  // A masternode broadcasts its announcement once at start-up (e1a6086).
  bool announce_at_start = false;
  // At each heartbeat tick (60 s, first at once), before the heartbeat: the own
  // announcement (e1a6086 .. a896294^; f673ee8), then GetMasternodes (f0b577d ..).
  bool announce_every_heartbeat = false;
  bool get_masternodes_every_heartbeat = false;
  // The listener ignores a MasternodeAnnouncement on a connection younger than this
  // (server.rs:533-539 at ea701a4; it registers the sender's IP, not the `address` field).
  Duration announce_min_connection_age_ns = seconds(5);
  // The listener registers every entry of a MasternodesResponse (f0b577d; `_ => {}` before).
  bool listener_registers_masternode_lists = false;
  // The listener re-broadcasts every received heartbeat to all its inbound connections,
  // whatever processing said, without duplicate suppression (341d8f4 .. 6df971e^).
  bool relays_heartbeats = false;
  MasternodePeers masternode_peers = MasternodePeers::kSeedFlag;
  // 126d7ee client.rs:524, :568, :622: when an outbound session ends (or a dial to a peer
  // dialled as a masternode fails) a registered peer is marked inactive until it is heard.
  bool inactive_on_disconnect = false;
};

}  // namespace ts::node
