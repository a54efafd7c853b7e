#include "sim/world.h"

#include <algorithm>

#include "common/assert.h"

namespace ts::sim {

using node::CloseReason;
using node::NoteKind;

namespace {
// Child-seed stream ids: fixed so adding a subsystem never shifts another's randomness.
constexpr std::uint64_t kStreamLinks = 1;
constexpr std::uint64_t kStreamNodes = 2;
}  // namespace

World::World(const Scenario& scenario, std::uint64_t seed, Recorder* recorder)
    : sc_(scenario), seed_(seed), link_seed_(mix_seed(seed, kStreamLinks)), rec_(recorder) {
  const std::size_t n = sc_.nodes.size();
  nodes_.resize(n);
  const std::uint64_t node_seed = mix_seed(seed, kStreamNodes);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto& spec = sc_.nodes[i];
    node::NodeConfig cfg;
    cfg.ip = spec.ip;
    cfg.clock_epoch_unix_s = sc_.epoch_unix_s;
    // Full mesh: every node knows every other node (the seed list).
    for (std::uint32_t j = 0; j < n; ++j) {
      if (j == i) continue;
      cfg.peers.push_back(node::PeerAddr{sc_.nodes[j].ip, node::kTestnetPort});
      nodes_[i].peer_node.push_back(j);
    }
    nodes_[i].profile = spec.profile;
    nodes_[i].core = std::make_unique<node::Node>(std::move(cfg), *spec.profile,
                                                  mix_seed(node_seed, i));
    sched_.schedule(spec.start_ns, EventKind::kNodeStart, i);
  }
}

void World::record_error(Result<bool> r) {
  if (!r.ok() && first_error_.empty()) first_error_ = r.error().message;
}

Result<WorldStats> World::run(Duration duration_ns, const std::atomic<bool>* interrupt) {
  if (rec_) {
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      const auto& spec = sc_.nodes[i];
      record_error(rec_->add_node(i, spec.name, spec.ip, spec.profile->name, spec.profile->commit,
                                  spec.start_ns, spec.region));
    }
  }
  Event e;
  std::uint32_t until_check = 4096;
  while (sched_.next_time() <= duration_ns) {
    if (--until_check == 0) {
      until_check = 4096;
      if (interrupt && interrupt->load(std::memory_order_relaxed)) {
        stats_.interrupted = true;
        break;
      }
      if (!first_error_.empty()) break;
    }
    sched_.pop(e);
    dispatch(e);
  }
  stats_.end_ns = stats_.interrupted ? sched_.now() : duration_ns;
  stats_.events = sched_.executed();
  // Connections still open at the end get a row marked open_at_end.
  for (auto& c : conns_) {
    if (c.serial == 0) continue;
    c.rec.open_at_end = true;
    if (c.rec.close_reason == CloseReason::kNone) c.rec.close_reason = CloseReason::kEndOfRun;
    finish(c);
  }
  if (!first_error_.empty()) return Error{"recording failed: " + first_error_};
  return stats_;
}

World::SimConn* World::conn_from_event(const Event& e) {
  if (e.a >= conns_.size()) return nullptr;
  SimConn& c = conns_[e.a];
  return c.serial == e.b ? &c : nullptr;
}

World::SimConn* World::conn_from_id(node::ConnId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xffffffffu);
  const auto serial = static_cast<std::uint32_t>(id >> 32);
  if (slot >= conns_.size() || conns_[slot].serial != serial) return nullptr;
  return &conns_[slot];
}

SimTime World::arrival(SimConn& c, int dir) {
  const SimTime t = std::max(sched_.now() + c.latency[dir]->sample(c.rng[dir]), c.last_arrival[dir]);
  c.last_arrival[dir] = t;
  return t;
}

void World::handle(std::uint32_t node, const node::Input& in) {
  nodes_[node].core->handle(sched_.now(), in);
  carry_out(node);
}

void World::start_dial(std::uint32_t node, std::uint32_t peer) {
  std::uint32_t slot;
  if (!free_conns_.empty()) {
    slot = free_conns_.back();
    free_conns_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(conns_.size());
    conns_.emplace_back();
  }
  TS_ASSERT(next_serial_ != 0);  // 2^32 connections per run
  SimConn& c = conns_[slot];
  c = SimConn{};
  c.serial = next_serial_++;
  c.dialer_peer = peer;
  SimNode& d = nodes_[node];
  c.dialer_port = d.next_port;
  d.next_port = d.next_port == 65535 ? 49152 : static_cast<std::uint16_t>(d.next_port + 1);
  const std::uint32_t listener = d.peer_node[peer];
  c.side[0] = SideState::kConnecting;
  c.latency[0] = &sc_.latency(node, listener);
  c.latency[1] = &sc_.latency(listener, node);
  c.rng[0] = Prng::derive(link_seed_, std::uint64_t{c.serial} * 2);
  c.rng[1] = Prng::derive(link_seed_, std::uint64_t{c.serial} * 2 + 1);
  c.rec.conn_id = c.serial;
  c.rec.dialer = node;
  c.rec.listener = listener;
  c.rec.dialer_version = d.profile->name;
  c.rec.listener_version = nodes_[listener].profile->name;
  c.rec.t_dial = sched_.now();
  ++stats_.connections;
  sched_.schedule(arrival(c, 0), EventKind::kSynArrive, slot, c.serial);
  sched_.schedule(sched_.now() + d.profile->timers.connect_timeout_ns, EventKind::kConnectTimeout,
                  slot, c.serial);
}

void World::local_close(SimConn& c, Side side, CloseReason reason) {
  const int s = static_cast<int>(side);
  if (c.side[s] == SideState::kClosed) return;
  c.side[s] = SideState::kClosed;
  const SimTime now = sched_.now();
  if (c.rec.t_close == kNever) {
    c.rec.t_close = now;
    c.rec.close_reason = reason;
    c.rec.closed_by = side;
  }
  (side == Side::kDialer ? c.rec.t_closed_dialer : c.rec.t_closed_listener) = now;
  const int dir = side == Side::kDialer ? 0 : 1;
  const int other = 1 - s;
  if (c.side[other] == SideState::kOpen)
    sched_.schedule(arrival(c, dir), EventKind::kFinArrive, slot_of(c), c.serial, 0,
                    static_cast<std::uint8_t>(dir));
  finish_if_done(c);
}

void World::finish_if_done(SimConn& c) {
  const bool dialer_done = c.side[0] == SideState::kClosed;
  const bool listener_done = c.side[1] == SideState::kClosed || c.side[1] == SideState::kIdle;
  if (dialer_done && listener_done) finish(c);
}

void World::finish(SimConn& c) {
  if (rec_) record_error(rec_->add_connection(c.rec));
  const std::uint32_t slot = slot_of(c);
  c.serial = 0;
  free_conns_.push_back(slot);
}

void World::carry_out(std::uint32_t node) {
  outputs_.clear();
  nodes_[node].core->drain(outputs_);
  // Outputs are processed by index: handling one may append nothing here (nodes only
  // produce outputs inside handle()), but may grow conns_, so no SimConn& is kept.
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    auto& out = outputs_[i];
    if (auto* send = std::get_if<node::Send>(&out)) {
      SimConn* c = conn_from_id(send->conn);
      if (!c) continue;
      const Side side = side_of(*c, node);
      const int s = static_cast<int>(side);
      if (c->side[s] != SideState::kOpen) continue;
      const std::uint64_t n = send->bytes.size();
      if (side == Side::kDialer) {
        ++c->rec.msgs_d2l;
        c->rec.bytes_d2l += n;
      } else {
        ++c->rec.msgs_l2d;
        c->rec.bytes_l2d += n;
      }
      stats_.bytes += n;
      if (c->side[1 - s] != SideState::kOpen && c->side[1 - s] != SideState::kIdle) continue;
      std::uint32_t p;
      if (!free_payloads_.empty()) {
        p = free_payloads_.back();
        free_payloads_.pop_back();
        payloads_[p] = std::move(send->bytes);
      } else {
        p = static_cast<std::uint32_t>(payloads_.size());
        payloads_.push_back(std::move(send->bytes));
      }
      const int dir = side == Side::kDialer ? 0 : 1;
      sched_.schedule(arrival(*c, dir), EventKind::kDeliver, slot_of(*c), c->serial, p,
                      static_cast<std::uint8_t>(dir));
    } else if (auto* dial = std::get_if<node::Dial>(&out)) {
      start_dial(node, dial->peer);
    } else if (auto* close = std::get_if<node::Close>(&out)) {
      SimConn* c = conn_from_id(close->conn);
      if (c) local_close(*c, side_of(*c, node), close->reason);
    } else if (auto* timer = std::get_if<node::SetTimer>(&out)) {
      if (timer->at == kNever) continue;  // disarmed: the stale event is ignored by the node
      sched_.schedule(timer->at, EventKind::kTimer, node,
                      static_cast<std::uint32_t>(timer->id.kind), timer->id.slot);
    } else if (auto* note = std::get_if<node::Note>(&out)) {
      SimConn* c = note->conn ? conn_from_id(note->conn) : nullptr;
      ConnRecord* r = c ? &c->rec : nullptr;
      switch (note->kind) {
        case NoteKind::kHandshakeAccepted:
          if (r) r->t_handshake = sched_.now();
          break;
        case NoteKind::kPingSent:
          if (r) {
            ++r->pings_sent;
            r->t_last_ping = sched_.now();
          }
          break;
        case NoteKind::kPongMatched:
          if (r) {
            ++r->pongs_matched;
            r->rtt_min = std::min(r->rtt_min, note->value);
            r->rtt_max = std::max(r->rtt_max, note->value);
            r->rtt_sum += note->value;
          }
          break;
        case NoteKind::kPongUnmatched:
          if (r) ++r->pongs_unmatched;
          break;
        case NoteKind::kPingMissed:
          if (r) ++r->pings_missed;
          break;
        case NoteKind::kPingAnswered:
          if (r && side_of(*c, node) == Side::kListener) ++r->pings_answered;
          break;
        case NoteKind::kMessageDropped:
          if (r) ++r->msgs_dropped;
          break;
        case NoteKind::kProtocolError: {
          ++stats_.protocol_errors;
          std::int64_t peer = -1;
          if (r) {
            ++r->protocol_errors;
            peer = r->dialer == node ? r->listener : r->dialer;
          }
          if (rec_)
            record_error(rec_->add_protocol_error(
                sched_.now(), node, peer, r ? r->conn_id : 0,
                node::protocol_error_kind_name(static_cast<node::ProtocolErrorKind>(note->value)),
                note->text));
          break;
        }
        case NoteKind::kPeerGivenUp:
          if (rec_)
            record_error(rec_->add_node_event(sched_.now(), node,
                                              nodes_[node].peer_node[note->value], "peer_given_up",
                                              "too many consecutive failed dials"));
          break;
        case NoteKind::kHandshakeSent:
        case NoteKind::kMessageHandled:
          break;
      }
    }
  }
}

void World::dispatch(const Event& e) {
  switch (e.kind) {
    case EventKind::kNodeStart: {
      nodes_[e.a].up = true;
      if (rec_) record_error(rec_->add_node_event(sched_.now(), e.a, -1, "start", ""));
      handle(e.a, node::Start{});
      return;
    }
    case EventKind::kTimer: {
      if (!nodes_[e.a].up) return;
      handle(e.a, node::TimerFired{
                      node::TimerId{static_cast<node::TimerKind>(e.b), e.c}});
      return;
    }
    case EventKind::kSynArrive: {
      SimConn* c = conn_from_event(e);
      if (!c || c->side[0] != SideState::kConnecting) return;
      const bool listening = nodes_[c->rec.listener].up;
      sched_.schedule(arrival(*c, 1), listening ? EventKind::kSynAckArrive : EventKind::kRefusedArrive,
                      e.a, e.b);
      return;
    }
    case EventKind::kSynAckArrive: {
      SimConn* c = conn_from_event(e);
      if (!c || c->side[0] != SideState::kConnecting) return;
      c->side[0] = SideState::kOpen;
      c->rec.t_connect = sched_.now();
      // The ACK goes first on the dialer->listener stream; data sent now follows it.
      sched_.schedule(arrival(*c, 0), EventKind::kAckArrive, e.a, e.b);
      const std::uint32_t dialer = c->rec.dialer;
      node::Connected in;
      in.conn = conn_id(e.a, e.b);
      in.dir = node::Direction::kOutbound;
      in.peer = c->dialer_peer;
      handle(dialer, in);
      return;
    }
    case EventKind::kAckArrive: {
      SimConn* c = conn_from_event(e);
      if (!c || c->side[1] != SideState::kIdle) return;
      const std::uint32_t listener = c->rec.listener;
      c->side[1] = SideState::kOpen;
      c->rec.t_accept = sched_.now();
      node::Connected in;
      in.conn = conn_id(e.a, e.b);
      in.dir = node::Direction::kInbound;
      in.remote_ip = sc_.nodes[c->rec.dialer].ip;
      in.remote_port = c->dialer_port;
      handle(listener, in);
      return;
    }
    case EventKind::kRefusedArrive:
    case EventKind::kConnectTimeout: {
      SimConn* c = conn_from_event(e);
      if (!c || c->side[0] != SideState::kConnecting) return;
      const auto reason = e.kind == EventKind::kRefusedArrive ? CloseReason::kConnectRefused
                                                              : CloseReason::kConnectTimeout;
      c->side[0] = SideState::kClosed;
      c->rec.t_close = c->rec.t_closed_dialer = sched_.now();
      c->rec.close_reason = reason;
      c->rec.closed_by = Side::kNone;
      const std::uint32_t dialer = c->rec.dialer;
      const std::uint32_t peer = c->dialer_peer;
      finish(*c);
      handle(dialer, node::DialFailed{peer, reason});
      return;
    }
    case EventKind::kDeliver: {
      SimConn* c = conn_from_event(e);
      const int receiver = e.d == 0 ? 1 : 0;
      if (c && c->side[receiver] == SideState::kOpen) {
        const std::uint32_t node = receiver == 1 ? c->rec.listener : c->rec.dialer;
        // The node copies what it needs before carry_out() may grow payloads_.
        handle(node, node::BytesIn{conn_id(e.a, e.b), payloads_[e.c]});
      }
      payloads_[e.c].clear();
      free_payloads_.push_back(e.c);
      return;
    }
    case EventKind::kFinArrive: {
      SimConn* c = conn_from_event(e);
      const int receiver = e.d == 0 ? 1 : 0;
      if (!c || c->side[receiver] != SideState::kOpen) return;
      c->side[receiver] = SideState::kClosed;
      (receiver == 0 ? c->rec.t_closed_dialer : c->rec.t_closed_listener) = sched_.now();
      const std::uint32_t node = receiver == 1 ? c->rec.listener : c->rec.dialer;
      const node::ConnId id = conn_id(e.a, e.b);
      finish_if_done(*c);
      handle(node, node::Closed{id, CloseReason::kPeerClosed});
      return;
    }
    case EventKind::kStop:
      return;
  }
}

}  // namespace ts::sim
