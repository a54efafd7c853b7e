// The server broadcast channel of Node (VersionProfile::broadcast; node_core/
// broadcast_channel.h): what the listener's subscribers write, the BFT relay of the
// incident commits, and a subscriber that lags behind a blocked write.
#include "node_core/node.h"

namespace ts::node {

void Node::channel_send(const Conn& sub, ConnId target, MsgKind kind) {
  // A subscriber with messages waiting keeps their order even if its writer changed.
  if (channel_.blocked(target) || channel_.missed(sub.id) != 0) {
    channel_.hold(sub.id, kind, scratch_, profile_->broadcast.capacity);
    return;
  }
  emit<Send>(target, kind, scratch_payload());
}

// ea701a4 server.rs:716-728: after handle_bft_message, whatever it returned,
// broadcast_tx.send(msg): every listener connection's task (the arriving one's too) writes
// it to its IP's registered writer. Nothing remembers what was relayed, so the relay ends
// only because its far ends are dialers, which do not relay. At every commit that relays
// the registry holds listener writers only (dialer writers come with 35af045), so a relay
// never leaves on a dialer connection here either: with outbound.writes_broadcasts it
// would reach another relaying listener and, without a duplicate check, never end.
void Node::relay_bft(const Conn& from, const Message& m) {
  if (!profile_->broadcast.relay_bft || from.dir != Direction::kInbound) return;
  const MsgKind kind = kind_of(m);
  encode_for_wire(m);
  for (const auto& c : conns_) {
    if (c.dir != Direction::kInbound || !c.writable) continue;
    const ConnId to = route(c);
    if (to == 0) continue;
    if (const Conn* w = find(to); w == nullptr || w->dir != Direction::kInbound) continue;
    channel_send(c, to, kind);
  }
}

// A socket accepts bytes again: each subscriber that waited on it writes what it missed,
// or, past the channel's capacity, gets Lagged and its loop ends (server.rs:797).
void Node::on_write_blocked(SimTime now, const WriteBlocked& w) {
  channel_.set_blocked(w.conn, w.blocked);
  if (w.blocked) return;
  for (const ConnId sub : channel_.waiting()) {
    Conn* c = find(sub);
    if (c == nullptr) {
      channel_.forget(sub);
      continue;
    }
    const ConnId to = route(*c);
    if (to != 0 && channel_.blocked(to)) continue;  // still stuck behind another socket
    BroadcastChannel::Resume r = channel_.resume(sub);
    if (r.lagged) {
      close(now, sub, CloseReason::kBroadcastLagged);
      continue;
    }
    if (to == 0) continue;  // its IP has no writer any more: send_to_peer fails
    for (auto& h : r.held)
      emit<Send>(to, h.kind, std::move(h.bytes));
  }
}

}  // namespace ts::node
