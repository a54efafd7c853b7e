// Peer exchange: the node's side of GetPeers / PeersResponse and of cleanup_stale_peers
// (VersionProfile::pex; node_core/peer_exchange.h holds the candidate list's state).
#include <algorithm>

#include "node_core/node.h"

namespace ts::node {

// GetPeers -> PeersResponse(get_all_peers()) (server.rs:580-586 at ea701a4): the seed list
// and every learned address that is a candidate now, "ip:port", in the list's order. A
// dialer on pex.dialer_answer `connected` answers get_connected_peers() instead
// (message_handler.rs:1358-1381 at 505b8a3): the IP of each established connection, once,
// in the order the connections opened.
void Node::answer_get_peers(Conn& c) {
  PeersResponse r;
  if (c.dir == Direction::kOutbound && profile_->pex.dialer_answer == PexAnswer::kConnected) {
    for (const Conn& o : conns_) {
      if (o.dir == Direction::kInbound && !o.handshaken) continue;
      std::string ip = remote_ip(o);
      if (std::find(r.peers.begin(), r.peers.end(), ip) == r.peers.end())
        r.peers.push_back(std::move(ip));
    }
    send(c, r);
    return;
  }
  r.peers.reserve(cfg_.peers.size());
  for (std::uint32_t p = 0; p < cfg_.peers.size(); ++p)
    if (pex_.listed(p))
      r.peers.push_back(cfg_.peers[p].ip + ":" + std::to_string(cfg_.peers[p].port));
  send(c, r);
}

// server.rs:609-620 at ea701a4 (listener); message_handler.rs:1384-1405 at 505b8a3: every
// address goes through add_peer_candidate.
void Node::on_peers_response(SimTime now, const Conn& c, const PeersResponse& r) {
  if (!pex_.learns(c.dir == Direction::kInbound)) return;
  for (const auto& address : r.peers)
    learn_candidate(now, candidate_ip(address));
}

// A new address is appended to the peer list; one dropped by a purge is listed again. Its
// slot is dialled by the next periodic pass if the dial rule says this node dials it (the
// pass applies the same local-IP and direction checks to candidates, client.rs:313-324).
// The own address and the seeds' are never entries of their own.
void Node::learn_candidate(SimTime now, std::string_view ip) {
  if (ip.empty() || ip == cfg_.ip) return;
  if (cfg_.dialable_ips != nullptr &&
      !std::binary_search(cfg_.dialable_ips->begin(), cfg_.dialable_ips->end(), ip))
    return;
  const auto ip_of = [this](std::uint32_t i) -> const std::string& { return cfg_.peers[i].ip; };
  const auto count = static_cast<std::uint32_t>(cfg_.peers.size());
  std::uint32_t p = pex_.find(ip, count, ip_of);
  if (p != PeerExchange::kNone && !pex_.learned(p)) return;  // a seed: listed for good
  if (p == PeerExchange::kNone) {
    p = count;
    cfg_.peers.push_back(PeerAddr{std::string(ip), kTestnetPort, /*masternode=*/false});
    slots_.emplace_back();  // kNeverDial until the dial rule is checked below
    pex_.appended(p, ip, ip_of);
  }
  PeerSlot& s = slots_[p];
  if (s.state == SlotState::kNeverDial && dials(profile_->dial_rule, cfg_.ip, ip))
    s.state = SlotState::kNotDialed;
  if (const SimTime at = pex_.list(now, p); at != kNever) {
    SimTime armed = kNever;  // the deadline itself is PeerExchange::purge_at()
    arm(TimerKind::kPexPurge, 0, armed, at);
  }
}

// cleanup_stale_peers (peer_manager.rs:299-310): `now - last_seen > 7 days` holds for every
// candidate, whose last_seen is 0 (update_peer_connected has no caller). Open connections
// and running connection tasks are not touched; the next pass no longer reads the entries.
void Node::on_pex_purge(SimTime now) {
  (void)now;
  pex_.purge();
}

// A dropped candidate that is not connected, not being dialled and not waiting out a delay
// has no connection task left: no later pass starts one (get_all_peers no longer lists it).
// One whose task is running keeps it (client.rs spawn_connection_task never reads the list).
void Node::drop_unlisted_slots() {
  for (std::uint32_t p = static_cast<std::uint32_t>(slots_.size()); p-- > 0 && pex_.learned(p);) {
    PeerSlot& s = slots_[p];
    if (!pex_.listed(p) && (s.state == SlotState::kNotDialed || s.state == SlotState::kGivenUp)) {
      s.state = SlotState::kNeverDial;
      s.redial.failures = 0;  // a later task, if it is learned again, starts afresh
    }
  }
}

}  // namespace ts::node
