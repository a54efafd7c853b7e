#include "node_core/node.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "common/assert.h"
#include "common/streams.h"
#include "node_core/utf8.h"

namespace ts::node {

namespace {

void append_decimal(std::string& out, std::uint32_t v) {
  char digits[10];
  const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  // (pointer, count): append(first, last) goes through _M_replace, 2.5 % of a churn run
  out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

std::string_view close_reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::kNone:
      return "none";
    case CloseReason::kPeerClosed:
      return "peer_closed";
    case CloseReason::kReset:
      return "reset";
    case CloseReason::kPongTimeout:
      return "pong_timeout";
    case CloseReason::kMessageBeforeHandshake:
      return "message_before_handshake";
    case CloseReason::kBadHandshake:
      return "bad_handshake";
    case CloseReason::kInvalidMessage:
      return "invalid_message";
    case CloseReason::kLineTooLong:
      return "line_too_long";
    case CloseReason::kConnectRefused:
      return "connect_refused";
    case CloseReason::kConnectTimeout:
      return "connect_timeout";
    case CloseReason::kNodeStopped:
      return "node_stopped";
    case CloseReason::kRetransmitTimeout:
      return "retransmit_timeout";
    case CloseReason::kEndOfRun:
      return "end_of_run";
    case CloseReason::kOldProtocol:
      return "old_protocol";
    case CloseReason::kBanned:
      return "banned";
    case CloseReason::kInvalidUtf8:
      return "invalid_utf8";
    case CloseReason::kKeepaliveTimeout:
      return "keepalive_timeout";
    case CloseReason::kRateLimited:
      return "rate_limited";
    case CloseReason::kConnectionLimit:
      return "connection_limit";
    case CloseReason::kDuplicateConnection:
      return "duplicate_connection";
    case CloseReason::kBroadcastLagged:
      return "broadcast_lagged";
    case CloseReason::kCount:
      break;
  }
  return "?";
}

std::string_view protocol_error_kind_name(ProtocolErrorKind k) {
  switch (k) {
    case ProtocolErrorKind::kMessageBeforeHandshake:
      return "message_before_handshake";
    case ProtocolErrorKind::kBadMagic:
      return "bad_magic";
    case ProtocolErrorKind::kBadProtocolVersion:
      return "bad_protocol_version";
    case ProtocolErrorKind::kInvalidJson:
      return "invalid_json";
    case ProtocolErrorKind::kUnknownVariant:
      return "unknown_variant";
    case ProtocolErrorKind::kInvalidFields:
      return "invalid_fields";
    case ProtocolErrorKind::kLineTooLong:
      return "line_too_long";
    case ProtocolErrorKind::kDuplicateHandshake:
      return "duplicate_handshake";
    case ProtocolErrorKind::kOldProtocol:
      return "old_protocol";
    case ProtocolErrorKind::kInvalidUtf8:
      return "invalid_utf8";
    case ProtocolErrorKind::kFrameTooLarge:
      return "frame_too_large";
    case ProtocolErrorKind::kRateLimited:
      return "rate_limited";
    case ProtocolErrorKind::kCount:
      break;
  }
  return "?";
}

namespace {

ProtocolErrorKind to_protocol_error(DecodeErrorKind k) {
  switch (k) {
    case DecodeErrorKind::kInvalidJson:
      return ProtocolErrorKind::kInvalidJson;
    case DecodeErrorKind::kUnknownVariant:
      return ProtocolErrorKind::kUnknownVariant;
    case DecodeErrorKind::kInvalidFields:
      return ProtocolErrorKind::kInvalidFields;
  }
  return ProtocolErrorKind::kInvalidJson;
}

// The type b5513be's debug line names for a dropped message: five variants by name, the
// rest "Other" (peer_connection.rs:410-417).
std::string dropped_type_name(MsgKind k) {
  switch (k) {
    case MsgKind::kTransactionBroadcast:
    case MsgKind::kTransactionVote:
    case MsgKind::kBlockAnnouncement:
    case MsgKind::kMasternodeAnnouncement:
    case MsgKind::kHandshake:
      return std::string(msg_kind_name(k));
    default:
      return "Other";
  }
}

// Dotted-quad IPv4 ("a.b.c.d", each 0..255, no leading '+' or spaces) to host byte order.
bool parse_ipv4(std::string_view text, std::uint32_t& out) {
  std::uint32_t addr = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::uint32_t v = 0;
    std::size_t digits = 0;
    const std::size_t first = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 3) {
      v = v * 10 + static_cast<std::uint32_t>(text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || v > 255 || (digits > 1 && text[first] == '0')) return false;
    addr = (addr << 8) | v;
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  if (i != text.size()) return false;
  out = addr;
  return true;
}

}  // namespace

// 346590a's should_connect_to (peer_connection_registry.rs:80-101): IPv4 octets compared as
// numbers, the higher dials; an address that is not dotted-quad IPv4 falls back to string
// order, higher dials.
bool dials(DialRule rule, std::string_view self_ip, std::string_view peer_ip) {
  switch (rule) {
    case DialRule::kStringLower:
      return self_ip < peer_ip;
    case DialRule::kOctetsHigher: {
      std::uint32_t a = 0, b = 0;
      if (parse_ipv4(self_ip, a) && parse_ipv4(peer_ip, b)) return a > b;
      return self_ip > peer_ip;
    }
    case DialRule::kBoth:
      return self_ip != peer_ip;
  }
  return false;
}

Node::Node(NodeConfig cfg, const VersionProfile& profile, std::uint64_t seed)
    : cfg_(std::move(cfg)),
      profile_(&profile),
      prng_(seed),
      blacklist_(profile.blacklist),
      rate_(profile.inbound),
      pex_(profile.pex),
      admission_(profile.conn.limits),
      chain_(std::move(cfg_.chain)),
      registry_order_key_(Prng::derive(seed, stream_id(Stream::kRegistryOrder)).next_u64()) {
  // Per-connection and per-peer state is the node's memory at scale (16 of each per node in
  // the 10,000-node scenarios): keep these sizes from growing unnoticed.
  static_assert(sizeof(PeerSlot) == 56);
  static_assert(sizeof(Conn) <= 128);
  cfg_.chain.clear();
  blacklist_.set_whitelist(cfg_.whitelist);  // the operator's whitelisted_peers (a875f42)
  slots_.resize(cfg_.peers.size());
  conns_.reserve(cfg_.peers.size());  // one per known peer is the usual steady state
  conn_ids_.reserve(cfg_.peers.size());
}

void Node::set_clock(Duration offset_ns, std::int64_t drift_ppm, SimTime since) {
  cfg_.clock_offset_ns = offset_ns;
  drift_ppm_ = drift_ppm;
  drift_since_ = since;
}

std::int64_t Node::wall_clock_s(SimTime now) const {
  // Without drift (the usual case) no 128-bit division: it was 2.5 % of a 10,000-node run.
  const __int128 drift =
      drift_ppm_ == 0 ? 0 : static_cast<__int128>(now - drift_since_) * drift_ppm_ / 1'000'000;
  const SimTime t = add_sat(add_sat(now, cfg_.clock_offset_ns), clamp_duration(drift));
  // floor division so a negative skew still rounds towards the past
  const std::int64_t s = t >= 0 ? t / kSecond : -((-t + kSecond - 1) / kSecond);
  return cfg_.clock_epoch_unix_s + s;
}

void Node::drain(std::vector<Output>& out) {
  if (sink_ != nullptr) return;  // the outputs are already in the driver's vector
  for (auto& o : out_)
    out.push_back(std::move(o));
  out_.clear();
}

void Node::handle(SimTime now, const Input& in) {
  struct Visitor {
    Node& n;
    SimTime now;
    void operator()(const Start&) const { n.on_start(now); }
    void operator()(const Connected& c) const { n.on_connected(now, c); }
    void operator()(const DialFailed& f) const { n.on_dial_failed(now, f); }
    void operator()(const BytesIn& b) const { n.on_bytes(now, b); }
    void operator()(const Closed& c) const { n.on_closed(now, c); }
    void operator()(const TimerFired& t) const { n.on_timer(now, t.id); }
    void operator()(const SubmitTransaction& t) const { n.on_submit(now, t.txid); }
    void operator()(const WriteBlocked& w) const { n.on_write_blocked(now, w); }
  };
  std::visit(Visitor{*this, now}, in);
}

void Node::note(ConnId conn, NoteKind kind, std::int64_t value, std::string text) {
  emit<Note>(conn, kind, value, std::move(text));
}

void Node::arm(TimerKind kind, std::uint32_t slot, SimTime& field, SimTime at) {
  field = at;
  emit<SetTimer>(TimerId{kind, slot}, at);
}

std::size_t Node::buffered_bytes() const {
  std::size_t n = 0;
  for (const auto& c : conns_)
    n += std::visit([](const auto& r) { return r.buffered_bytes(); }, c.reader);
  return n;
}

std::string Node::remote_ip(const Conn& c) const {
  std::string ip;
  append_remote_ip(ip, c);
  return ip;
}

void Node::append_remote_ip(std::string& out, const Conn& c) const {
  if (c.dir == Direction::kOutbound) {
    out += cfg_.peers[c.peer].ip;
  } else if (c.remote_text) {
    out += *c.remote_text;
  } else {
    for (int shift = 24; shift >= 0; shift -= 8) {
      append_decimal(out, (c.remote_ipv4 >> shift) & 0xff);
      if (shift > 0) out += '.';
    }
  }
}

Node::RemoteIp Node::remote_ip_key(const Conn& c) const {
  RemoteIp k;
  if (c.dir == Direction::kOutbound) {
    k.numeric = parse_ipv4(cfg_.peers[c.peer].ip, k.ipv4);
    if (!k.numeric) k.text = cfg_.peers[c.peer].ip;
  } else if (c.remote_text) {
    k.text = *c.remote_text;
  } else {
    k.numeric = true;
    k.ipv4 = c.remote_ipv4;
  }
  return k;
}

std::string Node::remote(const Conn& c) const {
  const std::uint16_t port =
      c.dir == Direction::kOutbound ? cfg_.peers[c.peer].port : c.remote_port;
  std::string s;
  s.reserve(kLogLineRoom);
  append_remote_ip(s, c);
  s += ':';
  append_decimal(s, port);
  return s;
}

std::size_t Node::index_of(ConnId id) const {
  std::size_t i = 0;
  while (i < conn_ids_.size() && conn_ids_[i] != id)
    ++i;
  return i;
}

Node::Conn* Node::find(ConnId id) {
  const std::size_t i = index_of(id);
  return i < conns_.size() ? &conns_[i] : nullptr;
}

Node::Conn& Node::add_conn(Conn&& c) {
  conn_ids_.push_back(c.id);
  conns_.push_back(std::move(c));
  return conns_.back();
}

// ---- start and dialing -----------------------------------------------------------------

void Node::on_start(SimTime now) {
  TS_ASSERT(!started_);
  started_ = true;
  rate_.start(now);
  admission_.start(now);
  pex_.start(now, static_cast<std::uint32_t>(cfg_.peers.size()));
  for (std::uint32_t p = 0; p < slots_.size(); ++p) {
    slots_[p] = PeerSlot{};
    if (dials(profile_->dial_rule, cfg_.ip, cfg_.peers[p].ip))
      slots_[p].state = SlotState::kNotDialed;
  }
  if (cfg_.consensus) consensus_start(now);
  // At start-up the node connects to every peer it should dial, as one pass.
  start_pass(now, /*startup=*/true);
}

// A pass walks the peers the node should dial and dials each one that is neither
// connected, nor being dialled, nor waiting out a reconnect delay or back-off; a peer the
// node gave up on gets a fresh start (upstream spawns a new connection task for it). Dials
// are 100 ms apart; the next pass starts 120 s after the pass ends (upstream sleeps 100 ms
// after each dial, then 120 s).
//
// Masternode peers (masternode_peer(): the seed list's flag when the profile lists remote
// masternodes as active, or this node's registry, gossip.masternode_peers) go first (client.rs
// PHASE1 at start-up, 100 ms apart). In the periodic pass their branch (PHASE3-MN) dials
// them all at once, without the spacing and without the is_reconnecting check: a peer
// waiting out a back-off is dialled now (upstream starts a second connection task; the
// model's one slot per peer dials early instead). Either branch reads only the first
// reserved_masternode_slots() masternodes; the peer branch (PHASE2, PHASE3-PEER) reads only
// the first max_peers - connected entries of the peer list, masternodes among them skipped.
void Node::start_pass(SimTime now, bool startup) {
  pass_queue_.clear();
  pass_next_ = 0;
  drop_unlisted_slots();
  for (std::uint32_t p = 0; p < slots_.size(); ++p) {
    if (slots_[p].state == SlotState::kGivenUp) {
      slots_[p].state = SlotState::kNotDialed;
      slots_[p].redial.failures = 0;
    }
  }
  select_pass_masternodes(now);
  for (std::uint32_t p = 0; p < slots_.size(); ++p) {
    if (!pass_masternode_[p]) continue;
    const SlotState st = slots_[p].state;
    if (startup && st == SlotState::kNotDialed)
      pass_queue_.push_back(p);
    else if (!startup && (st == SlotState::kNotDialed || st == SlotState::kWaitRedial) &&
             may_dial(*profile_, slots_[p].redial, now) &&  // a new task's advice: cooldown?
             !inbound_established_from(cfg_.peers[p].ip))   // PHASE3-MN: !is_connected
      dial(now, p);
  }
  const std::uint32_t connected = connected_ip_count();
  std::uint32_t read = profile_->max_peers > connected ? profile_->max_peers - connected : 0;
  for (std::uint32_t p = 0; p < slots_.size() && read > 0; ++p) {
    if (!pex_.listed(p)) continue;  // not in get_all_peers() now
    --read;
    if (masternode_peer(now, p)) continue;
    if (slots_[p].state == SlotState::kNotDialed) pass_queue_.push_back(p);
  }
  // Every branch skips a peer that is connected already (client.rs `!is_connected`), in
  // either direction: the queue is filtered when each dial comes up (kPassStep).
  pass_step_at_ = now;
  on_timer(now, TimerId{TimerKind::kPassStep, 0});
}

// client.rs:57 (ea701a4 ... 49f500d): (max_peers * 40 / 100).clamp(20, 30).
std::uint32_t Node::reserved_masternode_slots() const {
  return std::clamp<std::uint32_t>(profile_->max_peers * 40 / 100, 20, 30);
}

// The masternode list is the registry in its HashMap order (list_all, or list_active at the
// commits that read that), or, at the seed-flag commits, the flagged seeds in list order. The
// own address, when listed, uses up one of the reserved entries (the branch skips it after
// `take`); an address with no peer entry is one the model cannot dial (see fidelity.md).
void Node::select_pass_masternodes(SimTime now) {
  pass_masternode_.assign(slots_.size(), 0);
  std::uint32_t left = reserved_masternode_slots();
  if (profile_->gossip.masternode_peers == MasternodePeers::kSeedFlag) {
    for (std::uint32_t p = 0; p < slots_.size() && left > 0; ++p) {
      if (!masternode_peer(now, p)) continue;
      pass_masternode_[p] = 1;
      --left;
    }
    return;
  }
  if (!cfg_.consensus) return;
  if (profile_->gossip.masternode_peers == MasternodePeers::kRegistryAll)
    registry_.registered_in_map_order(now, active_scratch_);
  else
    registry_.active_in_map_order(now, active_scratch_);
  const auto ip_of = [this](std::uint32_t i) -> const std::string& { return cfg_.peers[i].ip; };
  const auto count = static_cast<std::uint32_t>(cfg_.peers.size());
  for (const std::string_view ip : active_scratch_) {
    if (left == 0) break;
    --left;
    const std::uint32_t p = pex_.find(ip, count, ip_of);
    if (p != PeerExchange::kNone) pass_masternode_[p] = 1;
  }
}

std::uint32_t Node::connected_ip_count() const {
  // The keys on the stack (a member scratch vector would cost every node its capacity);
  // a node with more connections than that is rare enough to allocate.
  constexpr std::size_t kOnStack = 64;
  std::array<RemoteIp, kOnStack> stack_keys;
  std::vector<RemoteIp> heap_keys;
  RemoteIp* keys = stack_keys.data();
  if (conns_.size() > kOnStack) {
    heap_keys.resize(conns_.size());
    keys = heap_keys.data();
  }
  std::size_t n = 0;
  for (const Conn& c : conns_)
    if (c.dir == Direction::kOutbound || c.handshaken) keys[n++] = remote_ip_key(c);
  std::uint32_t distinct = 0;
  for (std::size_t i = 0; i < n; ++i)
    distinct += std::find(keys, keys + i, keys[i]) == keys + i;
  return distinct;
}

void Node::dial(SimTime now, std::uint32_t peer, bool new_task) {
  PeerSlot& s = slots_[peer];
  if (new_task) s.as_masternode = masternode_peer(now, peer);
  s.state = SlotState::kDialing;
  s.redial_at = kNever;
  s.cm_forgotten = false;
  emit<Dial>(peer);
}

void Node::on_dial_failed(SimTime now, const DialFailed& f) {
  TS_ASSERT(f.peer < slots_.size());
  PeerSlot& s = slots_[f.peer];
  if (s.state != SlotState::kDialing) return;
  const bool as_masternode = dialled_as_masternode(f.peer);
  if (as_masternode) masternode_disconnected(now, f.peer, /*dial_failed=*/true);
  const ReconnectDecision d = after_failure(*profile_, s.redial, as_masternode, now);
  if (d.action == ReconnectDecision::Action::kGiveUp) {
    s.state = SlotState::kGivenUp;
    note(0, NoteKind::kPeerGivenUp, f.peer);
    return;
  }
  if (d.action == ReconnectDecision::Action::kCooldown) note(0, NoteKind::kPeerCooldown, f.peer);
  s.state = SlotState::kWaitRedial;
  arm(TimerKind::kRedial, f.peer, s.redial_at, now + d.delay_ns);
}

// The masternode class (give-up limit, delays, whitelisting) applies only to peers dialled by
// the masternode branches; it is fixed when the dial starts, as upstream fixes it when it
// spawns the connection task.
bool Node::dialled_as_masternode(std::uint32_t peer) const {
  return slots_[peer].as_masternode;
}

// ---- connections -------------------------------------------------------------------------

void Node::on_connected(SimTime now, const Connected& c) {
  TS_ASSERT(find(c.conn) == nullptr);
  Conn conn;
  conn.id = c.conn;
  conn.dir = c.dir;
  conn.opened_at = now;
  // 344e7e0's listener check reads the whole line first; its dialer has no cap at all.
  const bool capped_as_read = profile_->inbound.line_limit != LineLimitMode::kListenerViolation;
  if (profile_->wire.framing == Framing::kLengthPrefixed)
    conn.reader.emplace<FrameBuffer>(profile_->wire.max_frame_bytes);
  else
    conn.reader.emplace<LineBuffer>(capped_as_read ? profile_->max_line_bytes : 0);
  if (c.dir == Direction::kInbound) {
    conn.remote_port = c.remote_port;
    if (!parse_ipv4(c.remote_ip, conn.remote_ipv4))
      conn.remote_text = std::make_unique<std::string>(c.remote_ip);
    // server.rs checks the blacklist after accept(): a banned IP's socket is dropped at once.
    if (blacklist_.is_banned(remote_ip(conn), now)) {
      emit<Close>(c.conn, CloseReason::kBanned);
      return;
    }
    if (!admit_inbound(now, conn)) {  // a connection limit: dropped at accept (344e7e0)
      emit<Close>(c.conn, CloseReason::kConnectionLimit);
      return;
    }
    add_conn(std::move(conn));
    return;  // the listener waits for the dialer's Handshake
  }
  TS_ASSERT(c.peer < slots_.size());
  PeerSlot& s = slots_[c.peer];
  TS_ASSERT(s.state == SlotState::kDialing);
  s.state = SlotState::kConnected;
  s.conn = c.conn;
  conn.peer = c.peer;
  Conn& out = add_conn(std::move(conn));
  // 35af045: the dialer's writer is registered too, replacing a listener writer for the IP.
  if (profile_->outbound_writes_broadcasts) writers_.set(cfg_.peers[c.peer].ip, out.id);
  if (profile_->sends_handshake_first) {
    send(out, Handshake{own_magic(), kProtocolVersion, std::string(profile_->handshake_network)});
    note(out.id, NoteKind::kHandshakeSent);
  }
  send_ping(now, out);  // the connect path's ping
  send_ping(now, out);  // the ping interval's first tick completes at once
  arm(TimerKind::kPingTick, c.peer, s.ping_tick_at, now + profile_->timers.ping_interval_ns);
  out.check_anchor = now;
  rearm_ping_check(now, out);
  if (profile_->outbound_writes_broadcasts) {
    out.writable = true;
    conn_writable(now, out);
  }
}

std::array<std::uint8_t, 4> Node::own_magic() const {
  return profile_->handshake_magic == HandshakeMagic::kMainnet ? kMainnetMagic : kMagic;
}

bool Node::knows(MsgKind k) const {
  switch (k) {
    case MsgKind::kBlockProposal:
    case MsgKind::kBlockVote:
    case MsgKind::kBlockCommit:
      return profile_->wire.bft;
    case MsgKind::kHeartbeat:
      return profile_->wire.heartbeat;
    default:
      return true;
  }
}

void Node::send(Conn& c, const Message& m) {
  if (c.unregistered) return;      // upstream's send_to_peer finds no writer for the IP
  if (!knows(kind_of(m))) return;  // the build has no such variant: it never sends it
  const ConnId to = route(c);      // the IP's registered writer (usually c itself)
  if (to == 0) return;
  encode_for_wire(m);
  emit<Send>(to, kind_of(m), scratch_payload());
}

std::string Node::scratch_payload() {
  std::string bytes;
  if (payload_pool_ != nullptr && !payload_pool_->empty()) {
    bytes = std::move(payload_pool_->back());
    payload_pool_->pop_back();
  }
  bytes.assign(scratch_);
  return bytes;
}

// 34bcf6e's frames carry bincode; the model keeps the JSON text as the payload (the
// message, not its byte encoding, is what the model reads; docs/fidelity.md).
void Node::encode_for_wire(const Message& m) {
  scratch_.clear();
  encode(m, scratch_);
  if (profile_->wire.framing != Framing::kLengthPrefixed) return;
  scratch_.pop_back();  // the '\n'
  std::string framed;
  framed.reserve(kFrameHeaderBytes + scratch_.size());
  append_frame(scratch_, framed);
  scratch_.swap(framed);
}

void Node::take_ping_buffer(Conn& c) {
  if (c.pending.capacity() != 0 || ping_pool_ == nullptr || ping_pool_->empty()) return;
  c.pending.swap(ping_pool_->back());
  ping_pool_->pop_back();
}

void Node::clear_pending(Conn& c) {
  c.pending.clear();
  const std::size_t room = c.pending.capacity();  // 0: no buffer (inbound, already given back)
  if (ping_pool_ != nullptr && ping_pool_->size() < kPooledPingSets && room != 0 &&
      room <= kPooledPingRoom) {
    ping_pool_->push_back(std::move(c.pending));
  }
  PendingPings().swap(c.pending);  // moved from, or freed here
}

void Node::send_ping(SimTime now, Conn& c) {
  const std::uint64_t nonce = prng_.next_u64();
  send(c, Ping{nonce, wall_clock_s(now)});
  const std::uint32_t limit = profile_->pending_ping_limit;
  if (limit != 0 && c.pending.size() >= limit) {
    const std::size_t drop = std::min<std::size_t>(profile_->dialer.pending_drop, c.pending.size());
    c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  take_ping_buffer(c);
  c.pending.push_back(PendingPing{nonce, now});
  purge_pings(now, c);
  note(c.id, NoteKind::kPingSent, static_cast<std::int64_t>(nonce));
}

// record_ping_sent's purge (fae8ba7: > 90 s; 4a84431: > 120 s), counted as no miss. A ping
// exactly the limit old is the undetermined edge (DialerPolicy::purge_edge_percent).
void Node::purge_pings(SimTime now, Conn& c) {
  const Duration limit = profile_->dialer.purge_after_ns;
  if (limit == kNever) return;
  const std::uint32_t pct = profile_->dialer.purge_edge_percent;
  bool edge = false;
  if (pct != 0 && c.pending.front().sent_at + limit == now) {  // oldest first: front is oldest
    edge = pct >= 100 || prng_.below(100) < pct;
  }
  std::erase_if(c.pending, [&](const PendingPing& p) {
    return now - p.sent_at > limit || (edge && now - p.sent_at == limit);
  });
}

// An inbound connection from `ip` past its handshake that is still read: the connection
// manager's is_connected(ip) for a peer that dialled us.
bool Node::inbound_established_from(std::string_view ip) const {
  for (const auto& c : conns_)
    if (c.dir == Direction::kInbound && c.handshaken && !c.deaf && remote_ip(c) == ip) return true;
  return false;
}

bool Node::whitelisted(const Conn& c) const {
  switch (profile_->dialer.whitelist_source) {
    case WhitelistSource::kNone:
      return false;
    case WhitelistSource::kMasternodeFlag:
      return dialled_as_masternode(c.peer);
    case WhitelistSource::kConfig:  // peer_registry.is_whitelisted(ip): the blacklist's list
      return is_whitelisted(cfg_.peers[c.peer].ip);
  }
  return false;
}

Duration Node::pong_timeout(const Conn& c) const {
  if (!whitelisted(c)) return profile_->timers.ping_timeout_ns;
  if (profile_->dialer.whitelisted_pong == WhitelistedPong::kUnchecked) return kNever;
  return profile_->dialer.whitelisted_pong_timeout_ns;
}

// The unanswered-ping check runs every ping_check_interval on a grid anchored at the connect
// time (tokio::time::interval; after a freeze its missed ticks burst at once and the grid
// stays). A tick changes something only once the oldest pending ping is older than the
// timeout, so the timer is armed for the first grid tick after that, and re-armed whenever
// the oldest pending ping changes: the same checks at the same times, without an event
// every 10 s on each of a large network's connections. A tick at or after the next ping
// tick is left to that tick to arm (it re-evaluates anyway), so an answered ping costs no
// timer event at all.
void Node::rearm_ping_check(SimTime now, Conn& c) {
  PeerSlot& s = slots_[c.peer];
  SimTime at = kNever;
  const Duration timeout = pong_timeout(c);
  if (!c.pending.empty() && timeout != kNever) {
    const Duration iv = profile_->timers.ping_check_interval_ns;
    const SimTime expires = c.pending.front().sent_at + timeout;
    // First tick T = anchor + k * iv with T > expires (a miss needs now - sent > timeout).
    const std::int64_t k = (expires - c.check_anchor) / iv + 1;
    // A tick missed while the process was frozen runs at once (tokio's Burst).
    at = std::max(c.check_anchor + k * iv, now);
    if (at >= s.ping_tick_at) at = kNever;  // the ping tick comes first and re-arms
  }
  if (at == s.ping_check_at) return;
  arm(TimerKind::kPingCheck, c.peer, s.ping_check_at, at);
}

void Node::check_pings(SimTime now, Conn& c) {
  const Duration timeout = pong_timeout(c);
  if (timeout == kNever) return;  // a whitelisted connection nobody checks (23cebb4)
  // Each ping older than the timeout counts as one miss and is dropped from the pending set.
  auto expired = [&](const PendingPing& p) { return now - p.sent_at > timeout; };
  for (const auto& p : c.pending) {
    if (expired(p)) {
      ++c.missed;
      note(c.id, NoteKind::kPingMissed, c.missed);
    }
  }
  std::erase_if(c.pending, expired);
  if (c.pending.empty()) clear_pending(c);
  const bool wl = whitelisted(c);
  const DialerPolicy& d = profile_->dialer;
  if (c.missed < (wl ? d.whitelisted_max_missed : profile_->timers.max_missed_pongs)) return;
  if (!wl || d.whitelisted_pong == WhitelistedPong::kClose) {
    close(now, c.id, CloseReason::kPongTimeout);
    return;
  }
  c.missed = 0;  // a whitelisted peer is kept (546a294, fae8ba7)
  if (d.whitelisted_pong == WhitelistedPong::kResetClear) clear_pending(c);
}

void Node::on_bytes(SimTime now, const BytesIn& b) {
  Conn* c = find(b.conn);
  if (c == nullptr || c->deaf) return;  // closed here, or nobody reads it any more
  const ConnId id = c->id;
  if (profile_->wire.framing == Framing::kLengthPrefixed) {
    std::get<FrameBuffer>(c->reader).append(b.bytes);
    on_frames(now, id);
    return;
  }
  std::get<LineBuffer>(c->reader).append(b.bytes);
  while (true) {
    c = find(id);  // a handler may have closed (and erased) the connection
    if (c == nullptr || c->deaf) return;
    const auto item = std::get<LineBuffer>(c->reader).next();
    if (item.kind == LineBuffer::Item::Kind::kNone) return;
    if (item.kind == LineBuffer::Item::Kind::kOversized) {
      // Dropped as it arrived; the connection stays, unless the profile's frames end it.
      protocol_error(*c, ProtocolErrorKind::kLineTooLong,
                     "Rejecting oversized message from " + remote(*c) + ": " +
                         std::to_string(item.bytes) +
                         " bytes (max: " + std::to_string(profile_->max_line_bytes) + ")");
      if (profile_->inbound.line_limit == LineLimitMode::kClose) {
        close(now, c->id, CloseReason::kLineTooLong);
        return;
      }
      continue;
    }
    on_line(now, *c, item.line);
  }
}

// 34bcf6e's read_message on either side: a too-large length or an undecodable payload ends
// the read loop, without a violation (server.rs:532-535, peer_connection.rs:899-902); from
// 45404fc an undecodable payload is skipped.
void Node::on_frames(SimTime now, ConnId id) {
  while (Conn* c = find(id)) {  // a handler may have closed (and erased) the connection
    if (c->deaf) return;
    const auto item = std::get<FrameBuffer>(c->reader).next();
    if (item.kind == FrameBuffer::Item::Kind::kNone) return;
    if (item.kind == FrameBuffer::Item::Kind::kTooLarge) {
      protocol_error(*c, ProtocolErrorKind::kFrameTooLarge,
                     "connection with " + remote(*c) +
                         " ended: Frame too large: " + std::to_string(item.length) +
                         " bytes (max: " + std::to_string(profile_->wire.max_frame_bytes) + ")");
      close(now, id, CloseReason::kInvalidMessage);
      return;
    }
    on_frame(now, *c, item.payload);
  }
}

void Node::on_frame(SimTime now, Conn& c, std::string_view payload) {
  auto decoded = decode_line(payload);
  std::string why;
  ProtocolErrorKind kind = ProtocolErrorKind::kInvalidJson;
  if (!decoded.ok()) {
    why = decoded.error().detail;
    kind = to_protocol_error(decoded.error().kind);
  } else if (!knows(kind_of(*decoded))) {
    why = "unknown variant `" + std::string(msg_kind_name(kind_of(*decoded))) + "`";
    kind = ProtocolErrorKind::kUnknownVariant;
  } else {
    dispatch(now, c, *decoded);
    return;
  }
  const bool skip = profile_->wire.skip_undecodable;
  protocol_error(c, kind,
                 (skip ? "skipping undecodable message from " : "connection with ") + remote(c) +
                     (skip ? ": " : " ended: Failed to deserialize message: ") + why);
  if (!skip) close(now, c.id, CloseReason::kInvalidMessage);
}

void Node::dispatch(SimTime now, Conn& c, const Message& m) {
  if (c.dir == Direction::kInbound)
    on_inbound_message(now, c, m);
  else
    on_outbound_message(now, c, m);
}

void Node::protocol_error(const Conn& c, ProtocolErrorKind kind, std::string text) {
  note(c.id, NoteKind::kProtocolError, static_cast<std::int64_t>(kind), std::move(text));
}

void Node::on_line(SimTime now, Conn& c, std::string_view line) {
  // tokio's read_line fails on bytes that are not UTF-8; both message loops then end.
  if (profile_->invalid_utf8_ends_connection && !is_utf8(line)) {
    protocol_error(c, ProtocolErrorKind::kInvalidUtf8,
                   "connection with " + remote(c) + " ended: stream did not contain valid UTF-8");
    close(now, c.id, CloseReason::kInvalidUtf8);
    return;
  }
  if (c.dir == Direction::kInbound && inbound_line_too_long(now, c, line)) return;
  if (c.dir == Direction::kInbound && on_unframed_inbound_line(now, c, line)) return;
  auto decoded = decode_line(line);
  if (!decoded.ok()) {
    on_bad_line(now, c, line, decoded.error());
    return;
  }
  if (!knows(kind_of(*decoded))) {  // serde: "unknown variant `BlockProposal`, expected ..."
    on_bad_line(now, c, line,
                DecodeError{DecodeErrorKind::kUnknownVariant,
                            "unknown variant `" + std::string(msg_kind_name(kind_of(*decoded))) +
                                "` (not in this build's NetworkMessage)"});
    return;
  }
  dispatch(now, c, *decoded);
}

// The old binary protocol's magic before the handshake: a violation, close (server.rs).
bool Node::on_unframed_inbound_line(SimTime now, Conn& c, std::string_view line) {
  const std::string_view prefix = profile_->blacklist.old_protocol_prefix;
  if (c.handshaken || prefix.empty() || !line.starts_with(prefix)) return false;
  protocol_error(c, ProtocolErrorKind::kOldProtocol,
                 "Rejecting " + remote(c) + " - old protocol detected (~W~M magic bytes)");
  violation(now, c, "Old protocol magic bytes (~W~M)");
  close(now, c.id, CloseReason::kOldProtocol);
  return true;
}

// An unparseable line. Outbound (peer_connection.rs): logged, nothing else; a blank line
// is skipped unlogged (it trims first). Inbound (server.rs), before or after the
// handshake: a violation; the connection closes when the IP's count reaches a ban step or
// on its max_bad_lines-th bad line. Later framings close or skip instead (parse.error),
// on either side.
void Node::on_bad_line(SimTime now, Conn& c, std::string_view line, const DecodeError& e) {
  const bool blank = std::all_of(line.begin(), line.end(), [](char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
  });
  const ParseErrorMode mode = profile_->inbound.parse_error;
  if (c.dir == Direction::kOutbound && blank) return;
  if (c.dir == Direction::kInbound && mode == ParseErrorMode::kViolation &&
      concatenated_json(c, line))
    return;
  protocol_error(c, to_protocol_error(e.kind),
                 "failed to parse message from " + remote(c) + ": " + e.detail);
  if (mode == ParseErrorMode::kClose) {
    close(now, c.id, CloseReason::kInvalidMessage);
    return;
  }
  if (c.dir == Direction::kOutbound || mode == ParseErrorMode::kSkip) return;
  ++c.bad_lines;
  const bool ban_says_close = violation(now, c, "Failed to parse message");
  const std::uint32_t limit = profile_->blacklist.max_bad_lines;
  if (ban_says_close || (limit > 0 && c.bad_lines >= limit))
    close(now, c.id, CloseReason::kInvalidMessage);
}

bool Node::violation(SimTime now, const Conn& c, std::string_view reason) {
  if (c.dir != Direction::kInbound) return false;
  std::string ip = remote_ip(c);
  const IpBlacklist::Verdict v = blacklist_.record_violation(ip, now);
  if (v.banned) emit<Ban>(c.id, std::move(ip), v.count, v.ban_ns, std::string(reason));
  return v.disconnect;
}

void Node::on_inbound_message(SimTime now, Conn& c, const Message& m) {
  if (c.handshaken) {
    if (!within_rate_limit(now, c, m)) return;
    handle_established(now, c, m);
    return;
  }
  const auto* h = std::get_if<Handshake>(&m);
  if (h == nullptr) {
    protocol_error(
        c, ProtocolErrorKind::kMessageBeforeHandshake,
        remote(c) + " sent message before handshake - closing connection (not blacklisting)");
    close(now, c.id, CloseReason::kMessageBeforeHandshake);
    return;
  }
  if (h->magic != own_magic()) {
    protocol_error(c, ProtocolErrorKind::kBadMagic,
                   remote(c) + " sent handshake with invalid magic");
    violation(now, c, "Invalid magic bytes");
    close(now, c.id, CloseReason::kBadHandshake);
    return;
  }
  if (h->protocol_version != kProtocolVersion) {
    protocol_error(c, ProtocolErrorKind::kBadProtocolVersion,
                   remote(c) + " sent handshake with unsupported protocol version " +
                       std::to_string(h->protocol_version));
    violation(now, c, "Unsupported protocol version: " + std::to_string(h->protocol_version));
    close(now, c.id, CloseReason::kBadHandshake);
    return;
  }
  // `network` is only logged, never checked.
  if (!admit_duplicate(now, c)) return;  // closed, or kept deaf (octet tie-break)
  c.handshaken = true;
  register_inbound(now, c);
  note(c.id, NoteKind::kHandshakeAccepted);
  send(c, Ack{"Handshake"});
  send_on_connect_announcements(now, c);
  send(c, GetPeers{});
  send_on_connect_get_masternodes(c);
  c.writable = true;  // the listener registers the connection's writer for broadcasts
  conn_writable(now, c);
}

void Node::on_outbound_message(SimTime now, Conn& c, const Message& m) {
  if (const auto* pong = std::get_if<Pong>(&m)) {
    auto it = std::find_if(c.pending.begin(), c.pending.end(),
                           [&](const PendingPing& p) { return p.nonce == pong->nonce; });
    if (it == c.pending.end()) {
      note(c.id, NoteKind::kPongUnmatched, static_cast<std::int64_t>(pong->nonce));
      return;
    }
    note(c.id, NoteKind::kPongMatched, now - it->sent_at);
    const bool oldest = it == c.pending.begin();
    c.pending.erase(it);
    // Pongs come back within a round trip, so between pings the set is usually empty: free
    // it then (a healthy connection holds no ping buffer for 30 s of every 30).
    if (c.pending.empty()) clear_pending(c);
    c.missed = 0;
    if (oldest) rearm_ping_check(now, c);
    return;
  }
  if (std::holds_alternative<Ping>(m) || profile_->outbound_handles_all_messages ||
      outbound_handles(kind_of(m))) {
    handle_established(now, c, m);
    return;
  }
  // b5513be's `_` arm logs the drop at debug level (peer_connection.rs:403-420); before it
  // the message vanished without a line. The bytes on the wire are the same either way.
  std::string logged;
  if (profile_->outbound_logs_dropped_messages)
    logged =
        "Received message from " + remote(c) + " (type: " + dropped_type_name(kind_of(m)) + ")";
  note(c.id, NoteKind::kMessageDropped, static_cast<std::int64_t>(kind_of(m)), std::move(logged));
}

void Node::handle_established(SimTime now, Conn& c, const Message& m) {
  note(c.id, NoteKind::kMessageHandled, static_cast<std::int64_t>(kind_of(m)));
  if (handle_consensus(now, c, m) || handle_gossip(now, c, m)) return;
  if (const auto* ping = std::get_if<Ping>(&m)) {
    send(c, Pong{ping->nonce, wall_clock_s(now)});
    note(c.id, NoteKind::kPingAnswered, static_cast<std::int64_t>(ping->nonce));
  } else if (std::holds_alternative<GetPeers>(m)) {
    answer_get_peers(c);
  } else if (const auto* peers = std::get_if<PeersResponse>(&m)) {
    on_peers_response(now, c, *peers);
  } else if (std::holds_alternative<Handshake>(m) && c.dir == Direction::kInbound) {
    protocol_error(c, ProtocolErrorKind::kDuplicateHandshake,
                   remote(c) + " sent a second handshake - ignored");
  }
  // Ack, Pong on an inbound connection and the variants the model carries opaquely are
  // handled without a reply.
}

void Node::close(SimTime now, ConnId id, CloseReason reason) {
  emit<Close>(id, reason);
  forget(now, id);
}

void Node::on_closed(SimTime now, const Closed& c) {
  forget(now, c.conn);
}

void Node::forget(SimTime now, ConnId id) {
  const std::size_t i = index_of(id);
  if (i == conns_.size()) return;
  const auto it = conns_.begin() + static_cast<std::ptrdiff_t>(i);
  const bool outbound = it->dir == Direction::kOutbound;
  const std::uint32_t peer = it->peer;
  clear_pending(*it);  // its buffer back to the pool
  channel_.forget(id);
  forget_conn_state(*it);
  conns_.erase(it);
  conn_ids_.erase(conn_ids_.begin() + static_cast<std::ptrdiff_t>(i));
  if (!outbound) return;
  if (profile_->outbound_close_unregisters_ip) unregister_ip(cfg_.peers[peer].ip);
  PeerSlot& s = slots_[peer];
  masternode_disconnected(now, peer, /*dial_failed=*/false);
  s.conn = 0;
  s.ping_tick_at = kNever;
  s.ping_check_at = kNever;
  // An established connection that ended is redialled after the reconnect delay.
  const ReconnectDecision d = after_session(*profile_, s.redial, dialled_as_masternode(peer));
  s.state = SlotState::kWaitRedial;
  arm(TimerKind::kRedial, peer, s.redial_at, now + d.delay_ns);
}

// b5513be (client.rs maintain_peer_connection): peer_registry.unregister_peer(ip) after an
// outbound connection ends. The registry holds one writer per IP, registered only by the
// listener's handshake path, so what goes is an inbound connection's writer from that IP:
// from then on nothing (Pong, Ack, broadcasts) can be written to that connection. Under
// the dial rule a node never has both directions to one IP, so this acts only when the
// peer dials despite the rule (a foreign dialer, or a later profile's).
void Node::unregister_ip(const std::string& ip) {
  writers_.erase_ip(ip);
  for (auto& c : conns_) {
    if (c.dir != Direction::kInbound || c.unregistered || remote_ip(c) != ip) continue;
    c.unregistered = true;
    c.writable = false;
  }
}

// ---- timers ------------------------------------------------------------------------------

void Node::on_timer(SimTime now, TimerId id) {
  // A timer fires when its deadline in the table has been reached: an event for a deadline
  // that was since moved later (or disarmed: kNever) finds the deadline still ahead and is
  // ignored. A driver may deliver a timer late (live mode), never early.
  switch (id.kind) {
    case TimerKind::kRedial: {
      PeerSlot& s = slots_[id.slot];
      if (s.redial_at > now || s.state != SlotState::kWaitRedial) return;
      TS_ASSERT(may_dial(*profile_, s.redial, now));  // a cooldown's timer ends at its end
      // client.rs after the sleep (ea701a4 :457 and every later commit): "Already connected
      // to {ip} during reconnect, task exiting". The peer dialled us meanwhile: the task ends
      // and a later pass starts a new one if that connection goes.
      if (inbound_established_from(cfg_.peers[id.slot].ip)) {
        s.state = SlotState::kNotDialed;
        s.redial_at = kNever;
        return;
      }
      dial(now, id.slot, /*new_task=*/false);
      return;
    }
    case TimerKind::kPingTick: {
      PeerSlot& s = slots_[id.slot];
      if (s.ping_tick_at > now || s.state != SlotState::kConnected) return;
      Conn* c = find(s.conn);
      TS_ASSERT(c != nullptr);
      send_ping(now, *c);
      arm(TimerKind::kPingTick, id.slot, s.ping_tick_at, now + profile_->timers.ping_interval_ns);
      rearm_ping_check(now, *c);
      return;
    }
    case TimerKind::kPingCheck: {
      PeerSlot& s = slots_[id.slot];
      if (s.ping_check_at > now || s.state != SlotState::kConnected) return;
      Conn* c = find(s.conn);
      TS_ASSERT(c != nullptr);
      s.ping_check_at = kNever;
      const ConnId cid = c->id;
      check_pings(now, *c);
      if (Conn* still = find(cid)) rearm_ping_check(now, *still);  // unless it closed
      return;
    }
    case TimerKind::kRedialPass:
      if (pass_at_ > now) return;
      pass_at_ = kNever;
      start_pass(now, /*startup=*/false);
      return;
    case TimerKind::kPassStep: {
      if (pass_step_at_ > now) return;
      pass_step_at_ = kNever;
      bool dialled = false;
      while (pass_next_ < pass_queue_.size() && !dialled) {
        const std::uint32_t peer = pass_queue_[pass_next_++];
        if (slots_[peer].state != SlotState::kNotDialed) continue;    // changed since queued
        if (inbound_established_from(cfg_.peers[peer].ip)) continue;  // !is_connected
        dial(now, peer);
        dialled = true;
      }
      if (dialled) {  // sleep 100 ms, then the next peer (or the end of the pass)
        pass_step_at_ = now + profile_->timers.redial_pass_spacing_ns;
        emit<SetTimer>(TimerId{TimerKind::kPassStep, 0}, pass_step_at_);
      } else {  // pass over: the next one starts after the pass interval
        pass_at_ = now + profile_->timers.redial_pass_interval_ns;
        emit<SetTimer>(TimerId{TimerKind::kRedialPass, 0}, pass_at_);
      }
      return;
    }
    case TimerKind::kHeartbeat:
      if (heartbeat_at_ > now) return;
      on_heartbeat_tick(now);
      return;
    case TimerKind::kBlockSlot:
      if (slot_at_ > now) return;
      on_slot(now);
      return;
    case TimerKind::kSyncPoll:
      if (sync_at_ > now) return;
      on_sync_poll(now);
      return;
    case TimerKind::kPexPurge:
      if (pex_.purge_at() > now) return;
      on_pex_purge(now);
      return;
    case TimerKind::kCount:
      break;
  }
  TS_ASSERT(false);
}

}  // namespace ts::node
