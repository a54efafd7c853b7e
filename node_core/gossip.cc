// The masternode gossip of Node: MasternodeAnnouncement, GetMasternodes and
// MasternodesResponse on both sides, the heartbeat relay, the dialer's handled kinds and the
// registry-driven masternode class of the dial loops. All of it is switched by
// VersionProfile::gossip (node_core/gossip_policy.h); docs/fidelity.md "Masternode gossip"
// gives the upstream file:line per commit.
//
// The three masternode messages travel as Opaque (node_core/message.h): the model builds
// their real content (message.rs MasternodeAnnouncement{address, reward_address, tier,
// public_key}; MasternodesResponse(Vec<MasternodeAnnouncementData>) with the same fields)
// and reads back only `address`. The registry is the masternode layer's, so nothing is
// registered or announced unless the node runs it (NodeConfig::consensus).

#include "node_core/json_cursor.h"
#include "node_core/node.h"

namespace ts::node {
namespace {

// Announcement content for `address`; the model's nodes are Free-tier masternodes without
// keys: the reward address is the IP and the 32-byte public key is zeros.
void append_announcement_data(std::string_view address, std::string& out) {
  out += "{\"address\":\"";
  out += address;
  out += "\",\"reward_address\":\"";
  out += address;
  out += "\",\"tier\":\"Free\",\"public_key\":[0";
  for (int i = 1; i < 32; ++i)
    out += ",0";
  out += "]}";
}

Opaque announcement(std::string_view address) {
  Opaque o{MsgKind::kMasternodeAnnouncement, {}};
  append_announcement_data(address, o.payload_json);
  return o;
}

Opaque get_masternodes() {
  return Opaque{MsgKind::kGetMasternodes, {}};
}

// The `address` of one announcement's content, the value `c` is at (consumed); false if it
// is not an object with a string `address`. The content is nlohmann's dump (decode_opaque):
// valid JSON, every key once.
bool read_announced_address(JsonCursor& c, std::string& out) {
  if (c.peek_value() != '{') return c.skip_value() && false;
  bool found = false;
  std::string_view key;
  c.begin_object();
  while (c.next_member(key)) {
    if (key != "address" || c.peek_value() != '"') {
      c.skip_value();
      continue;
    }
    std::string_view value;
    if (c.string(value)) {
      out.assign(value);
      found = true;
    }
  }
  return found && !c.failed();
}

}  // namespace

bool Node::outbound_handles(MsgKind kind) const {
  const GossipPolicy& g = profile_->gossip;
  switch (kind) {
    case MsgKind::kMasternodeAnnouncement:
    case MsgKind::kMasternodesResponse:
      return g.outbound_handles_masternodes;
    case MsgKind::kBlocksResponse:
    case MsgKind::kBlockAnnouncement:
      return g.outbound_handles_blocks;
    case MsgKind::kGetBlocks:
      return g.outbound_handles_get_blocks;
    case MsgKind::kHeartbeat:
      return g.outbound_handles_heartbeats;
    default:
      return false;
  }
}

bool Node::masternode_peer(SimTime now, std::uint32_t p) const {
  switch (profile_->gossip.masternode_peers) {
    case MasternodePeers::kSeedFlag:
      return profile_->remote_masternodes_active && cfg_.peers[p].masternode;
    case MasternodePeers::kRegistryActive:
      return cfg_.consensus && registry_.is_active(cfg_.peers[p].ip, now);
    case MasternodePeers::kRegistryAll:
      return cfg_.consensus && registry_.is_registered(cfg_.peers[p].ip, now);
  }
  return false;
}

// 126d7ee client.rs: after each attempt of a masternode-flagged dial task (:524, also a
// failed connect) and after a session when the peer is registered (:622).
void Node::masternode_disconnected(SimTime now, std::uint32_t p, bool dial_failed) {
  if (!cfg_.consensus || !profile_->gossip.inactive_on_disconnect) return;
  if (dial_failed || registry_.is_registered(cfg_.peers[p].ip, now))
    registry_.mark_inactive(cfg_.peers[p].ip, now);
}

// server.rs after the Ack (f9f913d :345-355 every registered masternode; ae360c0 :481 only
// our own).
void Node::send_on_connect_announcements(SimTime now, Conn& c) {
  if (!cfg_.consensus) return;
  switch (profile_->gossip.on_connect_announce) {
    case OnConnectAnnounce::kNone:
      return;
    case OnConnectAnnounce::kOwn:
      send(c, announcement(cfg_.ip));
      return;
    case OnConnectAnnounce::kAll:
      registry_.registered_in_map_order(now, active_scratch_);
      for (const auto a : active_scratch_)
        send(c, announcement(a));
      return;
  }
}

// server.rs:362-363 at f9f913d: GetMasternodes after GetPeers.
void Node::send_on_connect_get_masternodes(Conn& c) {
  if (profile_->gossip.on_connect_get_masternodes) send(c, get_masternodes());
}

void Node::gossip_start(SimTime /*now*/) {
  if (profile_->gossip.announce_at_start) broadcast(announcement(cfg_.ip));
}

// 925de6b main.rs:445-482, the heartbeat loop: registry heartbeat, announcement, GetMasternodes,
// then the HeartbeatBroadcast (on_heartbeat_tick sends that one).
void Node::gossip_tick(SimTime /*now*/) {
  if (profile_->gossip.announce_every_heartbeat) broadcast(announcement(cfg_.ip));
  if (profile_->gossip.get_masternodes_every_heartbeat) broadcast(get_masternodes());
}

bool Node::handle_gossip(SimTime now, Conn& c, const Message& m) {
  const auto* o = std::get_if<Opaque>(&m);
  if (o == nullptr) return false;
  const GossipPolicy& g = profile_->gossip;
  const bool inbound = c.dir == Direction::kInbound;
  switch (o->kind) {
    case MsgKind::kMasternodeAnnouncement: {
      if (!cfg_.consensus) return true;
      if (inbound) {
        // server.rs:533-556: ignored on a connection younger than 5 s; registers the
        // sender's IP, not the announced address.
        if (now - c.opened_at < g.announce_min_connection_age_ns) return true;
        registry_.register_at(remote_ip(c), now);
        return true;
      }
      // peer_connection.rs:527-556 at 80b5edf: the announced address.
      JsonCursor cur(o->payload_json);
      std::string address;
      if (read_announced_address(cur, address)) registry_.register_at(address, now);
      return true;
    }
    case MsgKind::kGetMasternodes: {
      // server.rs:587-608: MasternodesResponse(list_all()).
      if (!cfg_.consensus) return true;
      registry_.registered_in_map_order(now, active_scratch_);
      Opaque r{MsgKind::kMasternodesResponse, "["};
      for (std::size_t i = 0; i < active_scratch_.size(); ++i) {
        if (i) r.payload_json += ',';
        append_announcement_data(active_scratch_[i], r.payload_json);
      }
      r.payload_json += ']';
      send(c, r);
      return true;
    }
    case MsgKind::kMasternodesResponse: {
      // Listener: f0b577d server.rs:606-632; dialer: 80b5edf peer_connection.rs:560-595.
      if (!cfg_.consensus || (inbound && !g.listener_registers_masternode_lists)) return true;
      JsonCursor cur(o->payload_json);
      if (cur.peek_value() != '[') return true;
      std::string address;
      cur.begin_array();
      while (cur.next_element())
        if (read_announced_address(cur, address)) registry_.register_at(address, now);
      return true;
    }
    default:
      return false;
  }
}

// 341d8f4 server.rs:688-690: masternode_registry.broadcast_message -> the server's
// broadcast channel, which every listener connection forwards, the one the heartbeat came
// on included. Dialers never relay (fed4376: processed, not relayed), so a relayed
// heartbeat ends at the dialers it reaches.
void Node::relay_heartbeat(const Conn& /*from*/, const Heartbeat& hb) {
  if (!profile_->gossip.relays_heartbeats) return;
  scratch_.clear();
  encode(hb, scratch_);
  for (const auto& c : conns_)
    if (c.dir == Direction::kInbound && c.writable) channel_send(c, c.id, MsgKind::kHeartbeat);
}

}  // namespace ts::node
