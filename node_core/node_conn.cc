// Node: listener admission, duplicate connections, the per-IP writer registry and the
// whitelist (ConnPolicy, conn_policy.h; docs/fidelity.md "Admission, duplicates, whitelist").
#include <algorithm>

#include "node_core/node.h"

namespace ts::node {

std::string_view duplicate_outcome_name(DuplicateOutcome o) {
  switch (o) {
    case DuplicateOutcome::kAccepted:
      return "accepted";
    case DuplicateOutcome::kRejected:
      return "rejected";
    case DuplicateOutcome::kDeaf:
      return "kept_deaf";
  }
  return "?";
}

bool Node::is_whitelisted(std::string_view ip) const {
  return std::find(cfg_.whitelist.begin(), cfg_.whitelist.end(), ip) != cfg_.whitelist.end();
}

// The connection manager's Connected entries (outbound connected, inbound past the
// handshake), one per IP, then can_accept_inbound. Only runs when a limit is set.
bool Node::admit_inbound(SimTime now, const Conn& c) {
  if (!admission_.active()) return true;
  std::vector<ConnectedIp> connected;
  for (const Conn& o : conns_) {
    const bool counts = o.dir == Direction::kOutbound || (o.handshaken && !o.deaf);
    if (!counts) continue;
    std::string ip = remote_ip(o);
    if (std::any_of(connected.begin(), connected.end(),
                    [&](const ConnectedIp& e) { return e.ip == ip; }))
      continue;
    const bool wl = is_whitelisted(ip);
    connected.push_back(ConnectedIp{std::move(ip), o.dir == Direction::kInbound, wl});
  }
  const std::string ip = remote_ip(c);
  return admission_.admit(now, ip, is_whitelisted(ip), connected).empty();
}

// Whether this node has an outbound connection to `ip`, or (with_dials) is dialling it.
bool Node::outbound_to(std::string_view ip, bool with_dials) const {
  const bool tie_break = profile_->conn.duplicate == DuplicatePolicy::kOctetTieBreak;
  for (std::uint32_t p = 0; p < slots_.size(); ++p) {
    const PeerSlot& s = slots_[p];
    if (cfg_.peers[p].ip != ip || (tie_break && s.cm_forgotten)) continue;
    if (s.state == SlotState::kConnected || (with_dials && s.state == SlotState::kDialing))
      return true;
  }
  return false;
}

// The duplicate rule after a valid Handshake on inbound `c` (DuplicatePolicy). True: the
// handshake goes on as usual (register_inbound); false: c was closed or made deaf.
bool Node::admit_duplicate(SimTime now, Conn& c) {
  const ConnPolicy& pol = profile_->conn;
  const std::string ip = remote_ip(c);
  bool inbound = false;  // another inbound connection from ip past its handshake
  if (pol.duplicate == DuplicatePolicy::kOctetTieBreak) {
    // ea701a4's manager: the inbound set holds the IP from mark_inbound until any inbound
    // session from that IP ends (mark_inbound_disconnected); mark_connecting adds dials.
    inbound = std::find(cm_inbound_.begin(), cm_inbound_.end(), ip) != cm_inbound_.end();
  } else {
    inbound = std::any_of(conns_.begin(), conns_.end(), [&](const Conn& o) {
      return o.id != c.id && o.dir == Direction::kInbound && o.handshaken && !o.deaf &&
             remote_ip(o) == ip;
    });
  }
  const bool tie_break = pol.duplicate == DuplicatePolicy::kOctetTieBreak;
  const bool outbound = outbound_to(ip, tie_break || pol.dialer_reserves_ip);
  if (!inbound && !outbound) return true;
  // should_connect_to: our IPv4 octets are higher (string order for other addresses).
  const bool we_are_higher = dials(DialRule::kOctetsHigher, cfg_.ip, ip);
  DuplicateOutcome o = DuplicateOutcome::kAccepted;
  switch (pol.duplicate) {
    case DuplicatePolicy::kOctetTieBreak:
      o = we_are_higher ? DuplicateOutcome::kDeaf : DuplicateOutcome::kAccepted;
      break;
    case DuplicatePolicy::kAccept:
      break;
    case DuplicatePolicy::kReject:
      o = DuplicateOutcome::kRejected;
      break;
    case DuplicatePolicy::kTieBreakOutbound:
      // An occupied entry that is already Inbound rejects; an Outbound one yields if lower.
      o = (!inbound && !we_are_higher) ? DuplicateOutcome::kAccepted : DuplicateOutcome::kRejected;
      break;
  }
  note(c.id, NoteKind::kDuplicateConnection, static_cast<std::int64_t>(o));
  if (o == DuplicateOutcome::kRejected) {
    close(now, c.id, CloseReason::kDuplicateConnection);
    return false;
  }
  if (o == DuplicateOutcome::kDeaf) {
    writers_.set(ip, c.id);  // registered, Ack written, then the read loop breaks
    send(c, Ack{"Handshake"});
    c.deaf = true;
    std::erase(cm_inbound_, ip);  // the task's end: mark_inbound_disconnected
    return false;
  }
  if (tie_break) {  // connection_manager.remove(ip): bookkeeping only, nothing is closed
    std::erase(cm_inbound_, ip);
    for (std::uint32_t p = 0; p < slots_.size(); ++p)
      if (cfg_.peers[p].ip == ip) slots_[p].cm_forgotten = true;
  }
  return true;
}

void Node::register_inbound(SimTime now, Conn& c) {
  std::string ip = remote_ip(c);
  admission_.record_handshake(now);
  writers_.set(ip, c.id);
  if (profile_->conn.duplicate == DuplicatePolicy::kOctetTieBreak &&
      std::find(cm_inbound_.begin(), cm_inbound_.end(), ip) == cm_inbound_.end())
    cm_inbound_.push_back(std::move(ip));
}

void Node::forget_conn_state(const Conn& c) {
  writers_.erase_conn(c.id);
  if (c.dir == Direction::kInbound && !cm_inbound_.empty()) std::erase(cm_inbound_, remote_ip(c));
}

// The listener writes through the registry (send_to_peer(ip)): to whichever connection
// registered last for c's IP. The dialer writes its own connection. The common case, c
// itself registered, needs no address text.
ConnId Node::route(const Conn& c) const {
  if (c.dir == Direction::kOutbound || writers_.is_writer(c.id)) return c.id;
  return writers_.writer(remote_ip(c));
}

}  // namespace ts::node
