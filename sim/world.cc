#include "sim/world.h"

#include <algorithm>

#include "common/assert.h"
#include "common/streams.h"
#include "driver/node_setup.h"
#include "sim/linux_tcp.h"

namespace ts::sim {

using node::CloseReason;

namespace {
// A close is charged to a fault that is active, or ended at most this long before:
// the protocol's slowest detector (pong timeout) needs 90 s plus one 10 s check.
constexpr Duration kBlameWindow = seconds(100);
}  // namespace

World::World(const Scenario& scenario, std::uint64_t seed, Recorder* recorder)
    : sc_(scenario),
      seed_(seed),
      link_seed_(mix_seed(seed, stream_id(Stream::kLinks))),
      rec_(recorder),
      router_(recorder, scenario_ips(scenario), scenario.consensus.enabled),
      fault_rng_(Prng::derive(seed, stream_id(Stream::kFaults))) {
  const auto n = static_cast<std::uint32_t>(sc_.nodes.size());
  nodes_.resize(n);
  auto peers = build_topology(sc_.topology, n, seed);
  ips_ = scenario_ips(sc_);
  hosts_ = HostIndex(ips_);
  for (std::uint32_t i = 0; i < n; ++i) {
    nodes_[i].peer_node = std::move(peers[i]);
    nodes_[i].profile = sc_.nodes[i].profile;
    sched_.schedule(sc_.nodes[i].start_ns, EventKind::kNodeStart, i);
  }
  // One live connection per linked pair is the steady state: size for it once, rather than
  // let the vector double past it (freed slots are reused).
  std::size_t links = 0;
  for (const auto& sn : nodes_)
    links += sn.peer_node.size();
  conns_.reserve(links / 2 + 1);
}

void World::record_error(Result<bool> r) {
  if (!r.ok() && first_error_.empty()) first_error_ = r.error().message;
}

void World::fail_invariant(const std::string& what) {
  if (first_error_.empty())
    first_error_ = "invariant violated at t=" + std::to_string(sched_.now()) + " ns: " + what;
}

Result<RunStats> World::run(Duration duration_ns, const std::atomic<bool>* interrupt) {
  faults_ = sc_.faults;
  for (auto& f : draw_chaos(sc_.chaos, seed_, nodes_.size(), duration_ns)) {
    f.id = static_cast<std::uint32_t>(faults_.size() + 1);
    faults_.push_back(std::move(f));
  }
  stats_.faults = faults_.size();
  for (std::uint32_t i = 0; i < faults_.size(); ++i) {
    const Fault& f = faults_[i];
    sched_.schedule(f.start_ns, EventKind::kFaultStart, i);
    if (f.end_ns != kNever && f.kind->end_event) sched_.schedule(f.end_ns, EventKind::kFaultEnd, i);
  }
  if (rec_) record_error(record_setup(*rec_, sc_, faults_));
  if (sc_.consensus.enabled) {
    if (sc_.consensus.sample_interval_ns > 0)
      sched_.schedule(sc_.consensus.sample_interval_ns, EventKind::kSample);
    if (sc_.consensus.tx_per_hour > 0) {
      tx_rng_ = Prng::derive(seed_, stream_id(Stream::kTransactions));
      const auto mean = static_cast<std::int64_t>(kHour / sc_.consensus.tx_per_hour);
      sched_.schedule(tx_rng_.exponential(mean), EventKind::kSubmitTx);
    }
  }
  Event e;
  std::uint32_t until_check = 4096;
  while (sched_.next_time() <= duration_ns && first_error_.empty()) {
    if (--until_check == 0) {
      until_check = 4096;
      if (progress_) progress_->on_progress(sched_.now(), duration_ns, sched_.executed());
      if (interrupt && interrupt->load(std::memory_order_relaxed)) {
        stats_.interrupted = true;
        break;
      }
    }
    sched_.pop(e);
    stats_.fingerprint = fingerprint_mix(stats_.fingerprint, e);
    if (trace_) trace_->push_back(TracedEvent{e, event_node(e), sched_.scheduled()});
    dispatch(e);
  }
  stats_.end_ns = stats_.interrupted ? sched_.now() : duration_ns;
  stats_.protocol_errors = router_.protocol_errors();
  stats_.events = sched_.executed();
  // Connections still open at the end get a row marked open_at_end.
  for (auto& c : conns_) {
    if (c.serial == 0) continue;
    c.rec.open_at_end = true;
    if (c.rec.close_reason == CloseReason::kNone) {
      // Nothing ended it but the run's end (a dial still waiting on its SYNs may have been
      // marked by a crash of its half-open listener): no fault is charged.
      c.rec.close_reason = CloseReason::kEndOfRun;
      c.rec.fault_id = 0;
    }
    finish(c);
  }
  check_pool_at_end();  // after the stats: it drains the scheduler
  if (!first_error_.empty()) return Error{first_error_};
  return stats_;
}

std::int64_t World::event_node(const Event& e) {
  switch (e.kind) {
    case EventKind::kNodeStart:
    case EventKind::kTimer:
    case EventKind::kRestart:
      return e.a;
    case EventKind::kFaultStart:
    case EventKind::kFaultEnd:
    case EventKind::kSample:
    case EventKind::kSubmitTx:
      return -1;
    case EventKind::kSynArrive:
    case EventKind::kAckArrive: {
      const SimConn* c = conn_from_event(e);
      return c ? c->rec.listener : -1;
    }
    case EventKind::kSynAckArrive:
    case EventKind::kRefusedArrive:
    case EventKind::kConnectTimeout:
    case EventKind::kSynRetransmit: {
      const SimConn* c = conn_from_event(e);
      return c ? c->rec.dialer : -1;
    }
    case EventKind::kDeliver:
    case EventKind::kRstArrive: {  // d = direction: 0 dialer->listener
      const SimConn* c = conn_from_event(e);
      if (!c) return -1;
      return e.d == 0 ? c->rec.listener : c->rec.dialer;
    }
    case EventKind::kKeepalive: {
      const SimConn* c = conn_from_event(e);
      return c ? c->rec.listener : -1;
    }
    case EventKind::kRetransmitAbort:  // the sender: d = its direction
    case EventKind::kWriteBlocked: {
      const SimConn* c = conn_from_event(e);
      if (!c) return -1;
      return e.d == 0 ? c->rec.dialer : c->rec.listener;
    }
  }
  return -1;
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

// ---- links -------------------------------------------------------------------------------

SimTime World::arrival(SimConn& c, int dir, std::size_t bytes, GiveUp* give_up, bool retransmits) {
  const SimTime now = sched_.now();
  const std::uint32_t src = node_of(c, dir), dst = node_of(c, 1 - dir);
  const LatencyModel* model = link_faults_.latency(src, dst, c.latency[dir]);
  SimTime depart = now;
  Retransmits rtx;  // every loss fault hitting the segment adds to one retransmission count
  std::uint32_t lost_to = kNoFault;
  for (std::uint32_t fi : link_faults_.active()) {
    const Fault& f = faults_[fi];
    if (!f.matches(src, dst)) continue;
    switch (f.kind->link_effect) {
      case LinkEffect::kBandwidth: {
        const Duration ser =
            clamp_duration(static_cast<__int128>(bytes) * 8 * kSecond / f.bandwidth_bps);
        depart = add_sat(std::max(depart, c.busy_until[dir]), ser);
        c.busy_until[dir] = depart;
        break;
      }
      case LinkEffect::kLoss:
        if (!retransmits) {
          if (c.rng[dir].chance(f.loss)) return kNever;
          break;
        }
        draw_losses(c.rng[dir], f.loss, rtx);
        if (rtx.gave_up && lost_to == kNoFault) lost_to = fi;
        break;
      default:
        break;
    }
  }
  if (rtx.gave_up) {  // never arrives; last_arrival stays: later segments wait behind it
    if (give_up) *give_up = GiveUp{add_sat(depart, rtx.waited_ns), lost_to};
    return kNever;
  }
  const SimTime t = std::max(add_sat(add_sat(depart, model->sample(c.rng[dir])), rtx.waited_ns),
                             c.last_arrival[dir]);
  c.last_arrival[dir] = t;
  return t;
}

void World::send_segment(SimConn& c, int dir, std::string bytes, std::uint8_t flags) {
  std::uint32_t s;
  if (!free_segments_.empty()) {
    s = free_segments_.back();
    free_segments_.pop_back();
  } else {
    s = static_cast<std::uint32_t>(segments_.size());
    segments_.emplace_back();
  }
  Segment& seg = segments_[s];
  seg.seq = c.next_send_seq[dir]++;
  seg.flags = flags;
  seg.bytes = std::move(bytes);
  seg.owner = c.serial;
  seg.dir = static_cast<std::uint8_t>(dir);
  StreamLedger& l = c.ledger[dir];
  seg.offset = l.sent;
  l.sent += seg.bytes.size();
  l.in_flight += seg.bytes.size();
  l.sent_crc = crc32_extend(l.sent_crc, seg.bytes);
  seg.crc_after = l.sent_crc;
  if (wire_)
    wire_->on_segment(sched_.now(), c.serial, dir, seg.bytes, (flags & kFin) != 0,
                      (flags & kAccept) != 0);
  GiveUp give_up;
  SimTime at = arrival(c, dir, seg.bytes.size() + 40, &give_up);
  if (at == kNever) {  // it never arrives: the segment is done now
    discard_segment(s, c);
    if (give_up.at != kNever)
      sched_.schedule(give_up.at, EventKind::kRetransmitAbort, slot_of(c), c.serial, give_up.fault,
                      static_cast<std::uint8_t>(dir));
    return;
  }
  if (plant_nth_segment_ != 0 && flags == kData && ++segments_sent_ == plant_nth_segment_) {
    at = add_sat(at, 1);  // test-only planted nondeterminism (set_test_nondeterminism)
    c.last_arrival[dir] = std::max(c.last_arrival[dir], at);
  }
  sched_.schedule(at, EventKind::kDeliver, slot_of(c), c.serial, s, static_cast<std::uint8_t>(dir));
}

// ---- socket buffers ------------------------------------------------------------------------

void World::check_write_blocked(SimConn& c, int dir) {
  const bool blocked = c.ledger[dir].in_flight > linux_tcp::kWriteBlockedBytes;
  if (blocked == c.write_blocked[dir]) return;
  c.write_blocked[dir] = blocked;
  sched_.schedule(sched_.now(), EventKind::kWriteBlocked, slot_of(c), c.serial, blocked ? 1 : 0,
                  static_cast<std::uint8_t>(dir));
}

void World::write_blocked(SimConn& c, const Event& e) {
  if (c.side[e.d] != SideState::kOpen) return;
  const std::uint32_t n = node_of(c, e.d);
  if (nodes_[n].state != NodeState::kUp || !nodes_[n].core) return;
  if (app_paused(n)) {  // the process hears of it when it runs again
    sched_.schedule(nodes_[n].paused_until, e.kind, e.a, e.b, e.c, e.d);
    return;
  }
  handle(n, node::WriteBlocked{conn_id(e.a, e.b), e.c != 0});
}

SimTime World::blocked_until(std::uint32_t src, std::uint32_t dst) const {
  return link_faults_.blocked_until(src, dst, sched_.now());
}

// Hands the segment to the receiving node if it is the next in sequence, then any parked
// ones that follow it.
void World::deliver_in_order(SimConn& c, int dir) {
  const std::uint32_t slot = slot_of(c), serial = c.serial;
  while (true) {
    SimConn* cc = &conns_[slot];
    if (cc->serial != serial) return;
    std::uint32_t* link = &cc->parked[dir];
    while (*link != kNoSegment && segments_[*link].seq != cc->next_recv_seq[dir])
      link = &segments_[*link].next_parked;
    if (*link == kNoSegment) return;
    const std::uint32_t s = *link;
    *link = segments_[s].next_parked;  // unlink
    segments_[s].next_parked = kNoSegment;
    hand_over(*cc, dir, s);  // may invalidate cc
  }
}

void World::hand_over(SimConn& c, int dir, std::uint32_t s) {
  const int receiver = 1 - dir;
  const std::uint32_t node = node_of(c, receiver);
  Segment& seg = segments_[s];
  ++c.next_recv_seq[dir];
  const node::ConnId id = conn_id(slot_of(c), c.serial);
  const std::uint8_t flags = seg.flags;
  const bool to_node = c.side[receiver] == SideState::kOpen && !(flags & kAccept);
  if (to_node) {  // data or FIN for an open side: it must continue the delivered stream
    if (sabotage_once(TestSabotage::kCorruptDelivery, seg)) seg.bytes[0] ^= 1;
    check_delivery(c, dir, seg);
  }
  std::string bytes = release_segment(s, &c);
  (to_node ? c.ledger[dir].delivered : c.ledger[dir].discarded) += bytes.size();
  if (dir == 0) c.last_rx_listener = sched_.now();
  if (flags & kAccept) {
    if (c.side[1] != SideState::kIdle) return;
    c.side[1] = SideState::kOpen;
    c.rec.t_accept = sched_.now();
    node::Connected in;
    in.conn = id;
    in.dir = node::Direction::kInbound;
    in.remote_ip = sc_.nodes[c.rec.dialer].ip;
    in.remote_port = c.dialer_port;
    handle(node, in);
    return;
  }
  if (!to_node) return;
  if (flags & kFin) {
    c.side[receiver] = SideState::kClosed;
    (receiver == 0 ? c.rec.t_closed_dialer : c.rec.t_closed_listener) = sched_.now();
    finish_if_done(c);
    handle(node, node::Closed{id, CloseReason::kPeerClosed});
    return;
  }
  handle(node, node::BytesIn{id, bytes});
  // At most a few small buffers wait: enough for the next sends, not a second copy of
  // the traffic in flight.
  constexpr std::size_t kSparePayloads = 64, kSparePayloadBytes = 4096;
  if (spare_payloads_.size() < kSparePayloads && bytes.capacity() <= kSparePayloadBytes)
    spare_payloads_.push_back(std::move(bytes));
}

// ---- stream checks (sim/stream_ledger.h) -------------------------------------------------

std::string World::release_segment(std::uint32_t s, SimConn* c) {
  Segment& seg = segments_[s];
  std::string bytes = std::move(seg.bytes);
  seg.bytes.clear();
  std::uint64_t& account = c ? c->ledger[seg.dir].in_flight : orphan_bytes_;
  if (seg.owner == 0 || account < bytes.size())
    fail_invariant("segment " + std::to_string(s) + " freed twice or not accounted in flight");
  account -= std::min<std::uint64_t>(account, bytes.size());
  if (c) check_write_blocked(*c, seg.dir);
  seg.owner = 0;
  seg.next_parked = kNoSegment;
  free_segments_.push_back(s);
  return bytes;
}

void World::discard_segment(std::uint32_t s, SimConn& c) {
  const int dir = segments_[s].dir;
  c.ledger[dir].discarded += release_segment(s, &c).size();
}

void World::check_delivery(SimConn& c, int dir, const Segment& seg) {
  StreamLedger& l = c.ledger[dir];
  const std::uint64_t at = l.delivered;
  const std::uint32_t crc = crc32_extend(l.delivered_crc, seg.bytes);
  if (seg.offset != at || crc != seg.crc_after)
    fail_invariant("stream " + std::to_string(c.serial) + (dir == 0 ? " d2l" : " l2d") +
                   ": the segment handed over at offset " + std::to_string(at) +
                   (seg.offset != at ? " was sent at offset " + std::to_string(seg.offset) +
                                           " (bytes lost, duplicated or reordered)"
                                     : " does not match the bytes sent there (CRC-32C)"));
  l.delivered_crc = crc;
}

void World::check_balance(const SimConn& c) {
  for (int dir = 0; dir < 2; ++dir)
    if (auto why = balance_error(c.ledger[dir]); !why.empty())
      fail_invariant("stream " + std::to_string(c.serial) + (dir == 0 ? " d2l" : " l2d") +
                     " at its end: " + why);
}

// After every connection has finished: what is still scheduled is in flight for finished
// connections (orphans); once those are returned, every pool slot must be free.
void World::check_pool_at_end() {
  Event e;
  while (sched_.pop(e)) {
    if (undispatched_) undispatched_->push_back(e);
    if (e.kind != EventKind::kDeliver) continue;
    if (segments_[e.c].owner != e.b)
      fail_invariant("a delivery of connection " + std::to_string(e.b) + " holds segment " +
                     std::to_string(e.c) + " of another");
    else
      release_segment(e.c, nullptr);
  }
  if (orphan_bytes_ != 0)
    fail_invariant(std::to_string(orphan_bytes_) +
                   " bytes of ended connections unaccounted for at the end");
  if (free_segments_.size() != segments_.size())
    fail_invariant(std::to_string(segments_.size() - free_segments_.size()) +
                   " segments leaked (never returned to the pool)");
}

// Whether to sabotage `seg` now (tests): the first data segment with bytes, once.
bool World::sabotage_once(TestSabotage kind, const Segment& seg) {
  if (sabotage_ != kind || seg.bytes.empty() || seg.flags != kData) return false;
  sabotage_ = TestSabotage::kNone;
  return true;
}

// ---- nodes -------------------------------------------------------------------------------

void World::handle(std::uint32_t node, const node::Input& in) {
  outputs_.clear();  // the node writes into outputs_ (its output sink, see start_node)
  nodes_[node].core->handle(sched_.now(), in);
  carry_out(node);
}

void World::start_node(std::uint32_t n, const node::VersionProfile* profile) {
  SimNode& sn = nodes_[n];
  node::NodeConfig cfg = node_config(sc_, n, sn.peer_node, ips_, hosts_);
  cfg.chain = std::move(sn.chain_on_disk);  // the blocks stored before a restart
  sn.chain_on_disk.clear();
  sn.profile = profile;
  ++sn.incarnation;
  sn.started_seq = sched_.scheduled();  // every event this process schedules comes after
  sn.core = std::make_unique<node::Node>(std::move(cfg), *profile,
                                         node_process_seed(seed_, n, sn.incarnation));
  sn.core->set_clock(sn.clock_offset_ns, sn.drift_ppm, sn.drift_since);
  // All nodes write their outputs into the one scratch vector: carry_out() empties it
  // after every handle() and never re-enters a node, so no node keeps a buffer of its own.
  sn.core->set_output_sink(&outputs_);
  sn.core->set_payload_pool(&spare_payloads_);
  sn.core->set_ping_pool(&spare_ping_sets_);
  sn.state = NodeState::kUp;
  if (rec_)
    record_error(rec_->add_node_event(sched_.now(), n, -1, "start", std::string(profile->name)));
  handle(n, node::Start{});
}

// Stops node `n`'s process. Graceful: its kernel sends FIN on every connection. Not graceful
// (host crash): its connections vanish without a packet.
void World::stop_node(std::uint32_t n, bool graceful, std::uint32_t fault_id) {
  SimNode& sn = nodes_[n];
  if (sn.core && sc_.consensus.enabled) sn.chain_on_disk = sn.core->chain().blocks();
  sn.core.reset();
  sn.paused_until = 0;
  for (auto& c : conns_) {
    if (c.serial == 0) continue;
    for (int s = 0; s < 2; ++s) {
      if (node_of(c, s) != n || c.side[s] == SideState::kClosed) continue;
      // The fault ended the connection only if nothing had ended it before.
      if (c.rec.t_close == kNever && c.rec.fault_id == 0) c.rec.fault_id = fault_id;
      if (c.side[s] == SideState::kIdle) {
        // A listener side not yet accepted (SYN-ACK sent): the socket dies with the process,
        // silently; what arrives for it later (the ACK, data) is answered with RST. If the
        // dialer is already connected, the connection ends now on this side; if it is
        // still connecting, its own outcome (timeout, or RST after the SYN-ACK) ends it.
        c.crashed[s] = true;
        if (c.side[0] == SideState::kOpen)
          local_close(c, static_cast<Side>(s), CloseReason::kNodeStopped, /*send_fin=*/false);
        continue;
      }
      if (c.side[s] == SideState::kConnecting) {  // a dial in progress dies with the process
        c.side[s] = SideState::kClosed;
        c.rec.t_close = c.rec.t_closed_dialer = sched_.now();
        c.rec.close_reason = CloseReason::kNodeStopped;
        c.rec.closed_by = Side::kDialer;
        finish(c);
        break;
      }
      c.crashed[s] = true;
      local_close(c, static_cast<Side>(s), CloseReason::kNodeStopped, graceful);
      if (c.serial == 0) break;
    }
  }
}

void World::carry_out(std::uint32_t node) {
  // Outputs are processed by index; handling one may grow conns_, so no SimConn& is kept.
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
      if (rec_ && rec_->records(RecordLevel::kMessages))
        record_error(rec_->add_message(sched_.now(), c->rec.conn_id, node,
                                       node::msg_kind_name(send->kind), n));
      send_segment(*c, s, std::move(send->bytes), kData);
      check_write_blocked(*c, s);
    } else if (auto* dial = std::get_if<node::Dial>(&out)) {
      start_dial(node, dial->peer);
    } else if (auto* close = std::get_if<node::Close>(&out)) {
      SimConn* c = conn_from_id(close->conn);
      if (c) local_close(*c, side_of(*c, node), close->reason);
    } else if (auto* timer = std::get_if<node::SetTimer>(&out)) {
      if (timer->at == kNever) continue;  // disarmed: the stale event is ignored by the node
      sched_.schedule(timer->at, EventKind::kTimer, node,
                      static_cast<std::uint32_t>(timer->id.kind), timer->id.slot,
                      static_cast<std::uint8_t>(nodes_[node].incarnation));
    } else if (auto* note = std::get_if<node::Note>(&out)) {
      record_note(node, *note);
    } else if (auto* ev = std::get_if<node::ChainEvent>(&out)) {
      record_error(router_.chain(node, sched_.now(), *ev));
    } else if (auto* ban = std::get_if<node::Ban>(&out)) {
      record_ban(node, *ban);
    }
  }
}

void World::record_ban(std::uint32_t node, const node::Ban& ban) {
  if (!rec_) return;
  const SimConn* c = conn_from_id(ban.conn);
  record_error(router_.ban(node, sched_.now(), ban, c ? &c->rec : nullptr,
                           c ? std::int64_t{c->rec.dialer} : -1));
}

// A client sends a transaction to a node drawn uniformly (lost if that node is down); the
// next arrives after an exponential gap (a Poisson stream of tx_per_hour).
void World::submit_transaction() {
  const auto n = static_cast<std::uint32_t>(tx_rng_.below(nodes_.size()));
  const std::uint64_t txid = tx_rng_.next_u64();
  if (nodes_[n].state == NodeState::kUp && nodes_[n].core && !app_paused(n))
    handle(n, node::SubmitTransaction{txid});
  const auto mean = static_cast<std::int64_t>(kHour / sc_.consensus.tx_per_hour);
  sched_.schedule(add_sat(sched_.now(), tx_rng_.exponential(mean)), EventKind::kSubmitTx);
}

void World::take_samples() {
  const SimTime now = sched_.now();
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    const SimNode& sn = nodes_[n];
    if (sn.state != NodeState::kUp || !sn.core || !rec_) continue;
    record_error(rec_->add_sample(now, n, sn.core->chain().height(),
                                  static_cast<std::uint32_t>(sn.core->established_connections()),
                                  static_cast<std::uint32_t>(sn.core->active_masternodes(now)),
                                  static_cast<std::uint32_t>(sn.core->mempool_size())));
  }
  sched_.schedule(add_sat(now, sc_.consensus.sample_interval_ns), EventKind::kSample);
}

void World::record_note(std::uint32_t node, node::Note& note) {
  SimConn* c = note.conn ? conn_from_id(note.conn) : nullptr;
  ConnView at;
  if (c) {
    at.rec = &c->rec;
    at.side = side_of(*c, node);
    at.peer = c->rec.dialer == node ? c->rec.listener : c->rec.dialer;
  } else if (const auto peer = OutputRouter::peer_index(note)) {
    at.peer = peer_to_node(node, *peer);
  }
  record_error(router_.note(node, sched_.now(), note, at));
}

// ---- connections -------------------------------------------------------------------------

std::uint32_t World::peer_to_node(std::uint32_t node, std::uint32_t peer) const {
  const SimNode& sn = nodes_[node];
  if (peer < sn.peer_node.size()) return sn.peer_node[peer];
  const std::uint32_t n = hosts_.node_of(sn.core->config().peers[peer].ip);
  TS_ASSERT(n != HostIndex::kNone);  // NodeConfig::dialable_ips: only run hosts are learned
  return n;
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
  const std::uint32_t listener = peer_to_node(node, peer);
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
  if (wire_) wire_->on_syn(sched_.now(), c.serial, node, listener, c.dialer_port);
  send_syn(c, 0);
  // The application's own connect timeout, if the profile has one (none at the incident
  // commits: the kernel's SYN give-up ends an unanswered dial, see syn_lost()).
  if (const Duration t = d.profile->timers.connect_timeout_ns; t != kNever)
    sched_.schedule(add_sat(sched_.now(), t), EventKind::kConnectTimeout, slot, c.serial, 0,
                    static_cast<std::uint8_t>(d.incarnation));
}

void World::send_syn(SimConn& c, std::uint32_t k) {
  if (const SimTime at = arrival(c, 0, 60, nullptr, /*retransmits=*/false); at != kNever)
    sched_.schedule(at, EventKind::kSynArrive, slot_of(c), c.serial, k);
  else
    syn_lost(c, k);
}

// Each transmission is either answered (SYN-ACK or RST) or lost (a down host, a partition,
// a loss fault, on the way there or back), so this runs at most once per transmission.
void World::syn_lost(SimConn& c, std::uint32_t k) {
  using namespace linux_tcp;
  const SimTime now = sched_.now();
  if (k < static_cast<std::uint32_t>(kSynRetries)) {
    const SimTime at =
        std::max(now, add_sat(c.rec.t_dial, syn_send_offset(static_cast<int>(k) + 1)));
    sched_.schedule(at, EventKind::kSynRetransmit, slot_of(c), c.serial, k + 1);
    return;
  }
  sched_.schedule(std::max(now, add_sat(c.rec.t_dial, kSynGiveUp)), EventKind::kConnectTimeout,
                  slot_of(c), c.serial, 0,
                  static_cast<std::uint8_t>(nodes_[c.rec.dialer].incarnation));
}

void World::local_close(SimConn& c, Side side, CloseReason reason, bool send_fin) {
  const int s = static_cast<int>(side);
  if (c.side[s] == SideState::kClosed) return;
  c.side[s] = SideState::kClosed;
  const SimTime now = sched_.now();
  if (c.rec.t_close == kNever) {
    c.rec.t_close = now;
    c.rec.close_reason = reason;
    c.rec.closed_by = side;
    if (c.rec.fault_id == 0) c.rec.fault_id = blame(c);
  }
  (side == Side::kDialer ? c.rec.t_closed_dialer : c.rec.t_closed_listener) = now;
  if (send_fin && c.side[1 - s] != SideState::kClosed) send_segment(c, s, {}, kFin);
  finish_if_done(c);
}

void World::finish_if_done(SimConn& c) {
  const bool dialer_done = c.side[0] == SideState::kClosed;
  const bool listener_done = c.side[1] == SideState::kClosed || c.side[1] == SideState::kIdle;
  if (dialer_done && listener_done) finish(c);
}

void World::finish(SimConn& c) {
  if (rec_) record_error(rec_->add_connection(c.rec));
  for (auto& parked : c.parked) {  // out-of-order bytes nobody will read
    for (std::uint32_t s = parked; s != kNoSegment;) {
      const std::uint32_t next = segments_[s].next_parked;
      discard_segment(s, c);
      s = next;
    }
    parked = kNoSegment;
  }
  check_balance(c);
  // What is still travelling arrives for a finished connection and is dropped then.
  orphan_bytes_ += c.ledger[0].in_flight + c.ledger[1].in_flight;
  const std::uint32_t slot = slot_of(c);
  c.serial = 0;
  free_conns_.push_back(slot);
}

std::uint32_t World::blame(const SimConn& c) const {
  // Only endings a fault can cause: the protocol's own closes (the handshake rule, a
  // peer's orderly close) are never charged to a fault.
  switch (c.rec.close_reason) {
    case CloseReason::kPongTimeout:
    case CloseReason::kConnectTimeout:
    case CloseReason::kConnectRefused:
    case CloseReason::kReset:
    case CloseReason::kInvalidMessage:
    case CloseReason::kLineTooLong:
    case CloseReason::kOldProtocol:
    case CloseReason::kInvalidUtf8:
    case CloseReason::kKeepaliveTimeout:
      break;
    default:
      return 0;
  }
  // Of the faults that can cause this ending (fault.h can_end) and touch the link, the one
  // that started last (ties: the later id).
  const SimTime now = sched_.now();
  const std::uint32_t a = c.rec.dialer, b = c.rec.listener;
  const Fault* best = nullptr;
  for (const Fault& f : faults_) {
    if (f.start_ns > now || !can_end(f.kind, c.rec.close_reason)) continue;
    if (f.end_ns != kNever && f.end_ns + kBlameWindow < now) continue;
    const bool hits = is_link_fault(f.kind) ? (f.matches(a, b) || f.matches(b, a))
                                            : (f.targets_node(a) || f.targets_node(b));
    if (hits && (best == nullptr || f.start_ns >= best->start_ns)) best = &f;
  }
  return best ? best->id : 0;
}

// The sender's kernel gave up a segment (tcp_retries2, sim/retransmit.h): its socket is
// reset without a packet (Linux sends no RST on a retransmission timeout), so the peer
// learns only from an RST when it next writes, or never. The fault whose loss exhausted the
// retransmissions ended the connection, unless something had ended it before.
void World::retransmit_abort(SimConn& c, const Event& e) {
  const int s = e.d;
  if (c.side[s] != SideState::kOpen) return;  // closed meanwhile (its own close, a crash)
  const std::uint32_t n = node_of(c, s);
  if (app_paused(n)) {  // the process hears of it when it runs again
    sched_.schedule(nodes_[n].paused_until, e.kind, e.a, e.b, e.c, e.d);
    return;
  }
  if (c.rec.t_close == kNever) c.rec.fault_id = faults_[e.c].id;
  c.crashed[s] = true;  // no socket: what the peer sends later is answered with RST
  local_close(c, static_cast<Side>(s), CloseReason::kRetransmitTimeout, /*send_fin=*/false);
  handle(n, node::Closed{conn_id(e.a, e.b), CloseReason::kRetransmitTimeout});
}

// ---- keepalive -----------------------------------------------------------------------------
//
// The listener's kernel probes an inbound connection once it has received nothing for the
// profile's idle time, then every interval; when `probes` probes in a row go unanswered it
// drops the connection (Linux tcp_keepalive_timer: ETIMEDOUT, an RST nobody receives), at
// last receive + idle + probes x interval. On a live path every probe is answered, so the
// model arms the timer only when a fault may have cut a dialer off (a crash, a partition)
// and disarms it at the first answered probe. A probe answered by a host that no longer has
// the socket (restarted) is answered with RST: the connection is reset.

namespace {
std::uint32_t keepalive_probes(const node::KeepaliveConfig& k) {
  return k.probes != 0 ? k.probes : linux_tcp::kKeepaliveProbes;
}
}  // namespace

void World::arm_keepalives() {
  for (auto& c : conns_) {
    if (c.serial == 0 || c.keepalive_armed || c.side[1] != SideState::kOpen) continue;
    const node::KeepaliveConfig& k = nodes_[c.rec.listener].profile->inbound_keepalive;
    if (k.idle_ns <= 0 || dialer_answers_probe(c)) continue;
    c.keepalive_armed = true;
    sched_.schedule(std::max(sched_.now(), add_sat(c.last_rx_listener, k.idle_ns)),
                    EventKind::kKeepalive, slot_of(c), c.serial, 0);
  }
}

// A probe from the listener now gets an answer: the path is open both ways and the dialer's
// host is up (with the socket: an ACK; without it: an RST, see keepalive()).
bool World::dialer_answers_probe(const SimConn& c) const {
  const std::uint32_t d = c.rec.dialer, l = c.rec.listener;
  return nodes_[d].state != NodeState::kHostDown && !blocked_until(l, d) && !blocked_until(d, l);
}

void World::keepalive(SimConn& c, const Event& e) {
  c.keepalive_armed = false;
  const std::uint32_t l = c.rec.listener;
  if (c.side[1] != SideState::kOpen || nodes_[l].state != NodeState::kUp) return;
  const node::KeepaliveConfig& k = nodes_[l].profile->inbound_keepalive;
  if (k.idle_ns <= 0) return;
  const SimTime now = sched_.now();
  if (dialer_answers_probe(c)) {
    if (!c.crashed[0]) return;  // an ACK: alive; nothing more to watch
    local_close(c, Side::kListener, CloseReason::kReset, /*send_fin=*/false);
    handle(l, node::Closed{conn_id(e.a, e.b), CloseReason::kReset});
    return;
  }
  std::uint32_t probes = e.c;
  SimTime next = add_sat(c.last_rx_listener, k.idle_ns);  // idle again since a late segment
  if (next <= now) {
    if (probes >= keepalive_probes(k)) {
      // The kernel resets the socket (ETIMEDOUT) and sends an RST, which reaches the dialer
      // if the path towards it is open; later segments for the socket are answered with RST.
      c.crashed[1] = true;
      local_close(c, Side::kListener, CloseReason::kKeepaliveTimeout, /*send_fin=*/false);
      if (c.side[0] == SideState::kOpen) {
        if (wire_) wire_->on_rst(now, c.serial, 1);
        sched_.schedule(add_sat(now, c.latency[1]->sample(c.rng[1])), EventKind::kRstArrive, e.a,
                        e.b, 0, 1);
      }
      handle(l, node::Closed{conn_id(e.a, e.b), CloseReason::kKeepaliveTimeout});
      return;
    }
    ++probes;  // one more probe goes out now, unanswered
    next = add_sat(now, k.interval_ns);
  } else {
    probes = 0;
  }
  c.keepalive_armed = true;
  sched_.schedule(next, EventKind::kKeepalive, e.a, e.b, probes);
}

// ---- faults (their start, phases and end: sim/world_faults.cc) ----------------------------

// A `clock` node event: the node's wall clock (unix seconds) right after it changed.
void World::record_clock(std::uint32_t n) {
  const SimNode& sn = nodes_[n];
  if (!rec_ || !sn.core) return;
  record_error(rec_->add_node_event(sched_.now(), n, -1, "clock",
                                    "unix " + std::to_string(sn.core->wall_clock_s(sched_.now()))));
}

// ---- dispatch ----------------------------------------------------------------------------

// Node and run events here; connection events in dispatch_conn().
void World::dispatch(const Event& e) {
  switch (e.kind) {
    case EventKind::kNodeStart:
      if (nodes_[e.a].state == NodeState::kNotStarted) start_node(e.a, nodes_[e.a].profile);
      return;
    case EventKind::kRestart:
      restart_node(e);
      return;
    case EventKind::kTimer:
      timer_fired(e);
      return;
    case EventKind::kFaultStart:  // b = 1: a phase the kind asked for
      if (e.b == 0)
        fault_start(e.a);
      else
        fault_phase(e.a);
      return;
    case EventKind::kSample:
      take_samples();
      return;
    case EventKind::kSubmitTx:
      submit_transaction();
      return;
    case EventKind::kFaultEnd:
      fault_end(e.a);
      return;
    default:
      break;
  }
  SimConn* c = conn_from_event(e);
  if (!c) {
    // Bytes still travelling when their connection ended: dropped now, as an orphan
    // (sabotage kLeakSegment: forgotten, as this path once did).
    if (e.kind == EventKind::kDeliver && !sabotage_once(TestSabotage::kLeakSegment, segments_[e.c]))
      release_segment(e.c, nullptr);
    return;
  }
  dispatch_conn(*c, e);
}

void World::dispatch_conn(SimConn& c, const Event& e) {
  switch (e.kind) {
    case EventKind::kSynArrive:
      syn_arrive(c, e);
      return;
    case EventKind::kSynRetransmit:
      if (c.side[0] == SideState::kConnecting) send_syn(c, e.c);
      return;
    case EventKind::kKeepalive:
      keepalive(c, e);
      return;
    case EventKind::kSynAckArrive:
      syn_ack_arrive(c, e);
      return;
    case EventKind::kRefusedArrive:
    case EventKind::kConnectTimeout:
      dial_failed(c, e);
      return;
    case EventKind::kDeliver:
      deliver(c, e);
      return;
    case EventKind::kRstArrive:
      rst_arrive(c, e);
      return;
    case EventKind::kRetransmitAbort:
      retransmit_abort(c, e);
      return;
    case EventKind::kWriteBlocked:
      write_blocked(c, e);
      return;
    default:
      return;
  }
}

void World::restart_node(const Event& e) {  // a = node, b = fault index
  const Fault& f = faults_[e.b];
  if (nodes_[e.a].state == NodeState::kUp) return;
  if (rec_ && !f.kind->restart_event.empty())
    record_error(
        rec_->add_node_event(sched_.now(), e.a, -1, std::string(f.kind->restart_event), ""));
  start_node(e.a, nodes_[e.a].profile);
}

void World::timer_fired(const Event& e) {
  SimNode& sn = nodes_[e.a];
  if (sn.state != NodeState::kUp || e.seq < sn.started_seq) {  // an old process's timer
    ++stale_timers_;
    return;
  }
  if (app_paused(e.a)) {
    sched_.schedule(sn.paused_until, e.kind, e.a, e.b, e.c, e.d);
    return;
  }
  handle(e.a, node::TimerFired{node::TimerId{static_cast<node::TimerKind>(e.b), e.c}});
}

void World::syn_arrive(SimConn& c, const Event& e) {  // e.c = the transmission
  if (c.side[0] != SideState::kConnecting) return;
  const std::uint32_t l = c.rec.listener;
  const NodeState st = nodes_[l].state;
  if (blocked_until(c.rec.dialer, l) || st == NodeState::kHostDown) {
    syn_lost(c, e.c);  // no answer: the dialer's kernel retransmits
    return;
  }
  const bool listening = st == NodeState::kUp && nodes_[l].refusing == 0;
  if (wire_) wire_->on_syn_reply(sched_.now(), c.serial, listening);
  if (const SimTime at = arrival(c, 1, 60, nullptr, /*retransmits=*/false); at != kNever)
    sched_.schedule(at, listening ? EventKind::kSynAckArrive : EventKind::kRefusedArrive, e.a, e.b,
                    e.c);
  else
    syn_lost(c, e.c);
}

void World::syn_ack_arrive(SimConn& c, const Event& e) {
  if (c.side[0] != SideState::kConnecting) return;
  const std::uint32_t d = c.rec.dialer;
  if (blocked_until(c.rec.listener, d)) {  // the SYN-ACK is lost: the SYN is retransmitted
    syn_lost(c, e.c);
    return;
  }
  if (nodes_[d].state != NodeState::kUp) return;
  if (app_paused(d)) {
    sched_.schedule(nodes_[d].paused_until, e.kind, e.a, e.b);
    return;
  }
  c.side[0] = SideState::kOpen;
  c.rec.t_connect = sched_.now();
  // The final ACK opens the dialer->listener stream; data sent now follows it.
  send_segment(c, 0, {}, kAccept);
  node::Connected in;
  in.conn = conn_id(e.a, e.b);
  in.dir = node::Direction::kOutbound;
  in.peer = c.dialer_peer;
  handle(d, in);
}

// The dial's RST arrived (kRefusedArrive), or it timed out (kConnectTimeout).
void World::dial_failed(SimConn& c, const Event& e) {
  if (c.side[0] != SideState::kConnecting) return;
  const std::uint32_t d = c.rec.dialer;
  if (e.kind == EventKind::kRefusedArrive) {
    if (blocked_until(c.rec.listener, d)) {  // the RST is lost: the SYN is retransmitted
      syn_lost(c, e.c);
      return;
    }
  } else if (e.seq < nodes_[d].started_seq) {
    return;  // the dialing process is gone
  }
  if (app_paused(d)) {
    sched_.schedule(nodes_[d].paused_until, e.kind, e.a, e.b, e.c, e.d);
    return;
  }
  const auto reason = e.kind == EventKind::kRefusedArrive ? CloseReason::kConnectRefused
                                                          : CloseReason::kConnectTimeout;
  c.side[0] = SideState::kClosed;
  c.rec.t_close = c.rec.t_closed_dialer = sched_.now();
  c.rec.close_reason = reason;
  c.rec.closed_by = Side::kNone;
  if (c.rec.fault_id == 0) c.rec.fault_id = blame(c);
  const std::uint32_t peer = c.dialer_peer;
  finish(c);
  handle(d, node::DialFailed{peer, reason});
}

void World::deliver(SimConn& c, const Event& e) {
  const int dir = e.d, receiver = 1 - dir;
  const std::uint32_t src = node_of(c, dir), dst = node_of(c, receiver);
  if (segments_[e.c].owner != c.serial || segments_[e.c].dir != dir) {
    fail_invariant("a delivery of connection " + std::to_string(c.serial) + " holds segment " +
                   std::to_string(e.c) + " of another");
    return;
  }
  if (SimTime heal = blocked_until(src, dst)) {  // stalls; TCP retransmits after heal
    if (heal == kNever) {                        // never heals: the segment is never delivered
      discard_segment(e.c, c);
      return;
    }
    sched_.schedule(
        std::max(add_sat(heal, c.latency[dir]->sample(c.rng[dir])), c.last_arrival[dir]), e.kind,
        e.a, e.b, e.c, e.d);
    c.last_arrival[dir] = std::max(c.last_arrival[dir], heal);
    return;
  }
  if (sabotage_once(TestSabotage::kDropSegment, segments_[e.c])) {
    release_segment(e.c, &c);  // a path that loses the bytes without accounting for them
    return;
  }
  const NodeState st = nodes_[dst].state;
  const bool stale = c.side[receiver] != SideState::kOpen && c.crashed[receiver];
  if (st == NodeState::kHostDown) {  // vanishes
    discard_segment(e.c, c);
    return;
  }
  if (stale || (st != NodeState::kUp && c.side[receiver] != SideState::kClosed)) {
    // A restarted host (or a stopped process) has no socket for it: RST the sender.
    discard_segment(e.c, c);
    if (c.side[dir] == SideState::kOpen) {
      if (wire_) wire_->on_rst(sched_.now(), c.serial, receiver);
      sched_.schedule(add_sat(sched_.now(), c.latency[receiver]->sample(c.rng[receiver])),
                      EventKind::kRstArrive, e.a, e.b, 0, static_cast<std::uint8_t>(receiver));
    }
    return;
  }
  if (app_paused(dst)) {
    sched_.schedule(nodes_[dst].paused_until, e.kind, e.a, e.b, e.c, e.d);
    return;
  }
  std::uint32_t* tail = &c.parked[dir];  // append: the list keeps arrival order
  while (*tail != kNoSegment)
    tail = &segments_[*tail].next_parked;
  *tail = e.c;
  deliver_in_order(c, dir);
}

void World::rst_arrive(SimConn& c, const Event& e) {
  const int receiver = 1 - e.d;
  if (c.side[receiver] != SideState::kOpen) return;
  const std::uint32_t n = node_of(c, receiver);
  if (SimTime heal = blocked_until(node_of(c, e.d), n)) {  // an RST stalls like any segment
    if (heal != kNever)
      sched_.schedule(add_sat(heal, c.latency[e.d]->sample(c.rng[e.d])), e.kind, e.a, e.b, e.c,
                      e.d);
    return;
  }
  if (nodes_[n].state != NodeState::kUp) return;
  if (app_paused(n)) {
    sched_.schedule(nodes_[n].paused_until, e.kind, e.a, e.b, e.c, e.d);
    return;
  }
  local_close(c, static_cast<Side>(receiver), CloseReason::kReset, /*send_fin=*/false);
  if (c.rec.closed_by == static_cast<Side>(receiver) && c.rec.close_reason == CloseReason::kReset)
    c.rec.closed_by = static_cast<Side>(e.d);
  handle(n, node::Closed{conn_id(e.a, e.b), CloseReason::kReset});
}

}  // namespace ts::sim
