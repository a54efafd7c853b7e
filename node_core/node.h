// Node: one TIME Coin masternode's P2P layer as a sans-IO state machine.
//
// It models, from ../shared/protocol.md and the upstream source: the string-order dial
// rule, the outbound connect path (optional Handshake, then Ping), the outbound ping
// schedule and pong timeout, the outbound drop of everything but Ping/Pong, the inbound
// handshake-first rule, reconnect after an established connection ends, dial back-off
// with give-up, and the periodic re-dial pass. Behaviour that differs between builds
// comes from the VersionProfile.
//
// Not thread-safe; one driver thread owns a Node. `now` passed to handle() must never
// decrease. Outputs accumulate until drain().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/prng.h"
#include "common/time.h"
#include "node_core/admission.h"
#include "node_core/blacklist.h"
#include "node_core/broadcast_channel.h"
#include "node_core/chain.h"
#include "node_core/codec.h"
#include "node_core/frame_buffer.h"
#include "node_core/masternode_registry.h"
#include "node_core/node_io.h"
#include "node_core/peer_exchange.h"
#include "node_core/rate_limiter.h"
#include "node_core/reconnect_policy.h"
#include "node_core/version_profile.h"
#include "node_core/writer_registry.h"

namespace ts::node {

inline constexpr std::uint16_t kTestnetPort = 24100;

struct PeerAddr {
  std::string ip;
  std::uint16_t port = kTestnetPort;
  bool masternode = true;  // selects the dial give-up limit (20 masternode, 10 other)
};

struct NodeConfig {
  std::string ip;
  std::uint16_t port = kTestnetPort;
  std::vector<PeerAddr> peers;          // the addresses this node knows (seed list)
  std::int64_t clock_epoch_unix_s = 0;  // the node's wall clock at run time 0, unix seconds
  Duration clock_offset_ns = 0;         // skew added to the node's clock
  // Run the masternode layer: heartbeats, block slots, votes, sync (docs/consensus.md).
  bool consensus = false;
  // The n of the ceil(2n/3) commit quorum: every masternode this node has registered
  // (default: a minority cut off by a partition cannot commit), or only the active ones
  // (protocol.md's wording; a partitioned side whose peers went offline commits alone).
  enum class QuorumBase : std::uint8_t { kRegistered, kActive };
  QuorumBase quorum_base = QuorumBase::kRegistered;
  // The chain on disk when the process starts (a restart keeps it); empty = genesis only.
  std::vector<Block> chain;
  // Masternodes in the registry database on disk at start (masternode_registry.rs:49-80
  // loads them), besides the node itself; each is loaded as last heard at start. Scenarios
  // leave it empty: a fresh data directory (docs/consensus.md "Registration").
  std::vector<std::string> registry_on_disk;
  // IPs this node's operator whitelisted (config.network.whitelisted_peers, a875f42). What
  // it changes is the profile's (ConnPolicy: never banned, connection-limit bypass).
  std::vector<std::string> whitelist;
  // The addresses a peer exchange may add to `peers` (sorted; null: any). A simulation
  // passes its nodes' IPs: an address naming no host of the run is not learned.
  const std::vector<std::string>* dialable_ips = nullptr;
};

// The dial rule: whether a node at `self_ip` dials the peer at `peer_ip`.
bool dials(DialRule rule, std::string_view self_ip, std::string_view peer_ip);
// The incident commits' rule: a node dials a peer only if its own IP, as a string, is less.
inline bool dials(std::string_view self_ip, std::string_view peer_ip) {
  return dials(DialRule::kStringLower, self_ip, peer_ip);
}

class Node {
 public:
  // `profile` must outlive the node (profiles are static tables).
  Node(NodeConfig cfg, const VersionProfile& profile, std::uint64_t seed);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  Node(Node&&) = default;
  Node& operator=(Node&&) = default;

  // Feeds one input at virtual time `now` (ns, never decreasing). No I/O.
  void handle(SimTime now, const Input& in);
  // Appends the outputs produced so far, in emission order, and clears them.
  void drain(std::vector<Output>& out);
  // Outputs go straight to `sink` (drain() then does nothing): a driver running many
  // nodes on one thread gives them all one vector and empties it after each handle(), so
  // no node keeps an output buffer of its own. Null: back to the node's own buffer.
  void set_output_sink(std::vector<Output>* sink) { sink_ = sink; }
  // A Send's bytes go into a buffer taken from the back of `pool` when it holds one: a
  // driver that puts the buffers of delivered sends there lets steady traffic send without
  // allocating. Only the buffers' capacity is used. Null (the default): each send allocates.
  void set_payload_pool(std::vector<std::string>* pool) { payload_pool_ = pool; }
  // An outbound connection's pending pings (nonce, send time), oldest first.
  struct PendingPing {
    std::uint64_t nonce;
    SimTime sent_at;
  };
  using PendingPings = std::vector<PendingPing>;
  // A connection's pending-ping set takes its buffer from the back of `pool` when it has
  // none, and puts it back once the set is empty (at most kPooledPingSets wait there, each
  // with room for at most kPooledPingRoom pings). A healthy connection has pings out for one
  // round trip in every ping interval, so many nodes' connections share a few buffers and a
  // ping round allocates nothing. Null (the default): an emptied set frees its buffer.
  void set_ping_pool(std::vector<PendingPings>* pool) { ping_pool_ = pool; }
  static constexpr std::size_t kPooledPingSets = 64, kPooledPingRoom = 8;

  const NodeConfig& config() const { return cfg_; }
  const VersionProfile& profile() const { return *profile_; }
  std::size_t open_connections() const { return conns_.size(); }
  // The node's wall clock in unix seconds at virtual time `now`.
  std::int64_t wall_clock_s(SimTime now) const;
  // Clock faults: from `since` on, the clock is off by `offset_ns` plus `drift_ppm`
  // parts per million of the time elapsed since then. Protocol timers are unaffected
  // (they are monotonic); only the wall-clock timestamps in messages follow.
  void set_clock(Duration offset_ns, std::int64_t drift_ppm, SimTime since);

  // Consensus state, for samples and for carrying the chain across a restart.
  const Chain& chain() const { return chain_; }
  std::size_t active_masternodes(SimTime now) const;
  // Connections past their handshake (outbound: connected; inbound: Handshake accepted).
  std::size_t established_connections() const;
  // Bytes held in the connections' line buffers (partial lines).
  std::size_t buffered_bytes() const;
  // Transactions known here and not yet in a block of this node's chain.
  std::size_t mempool_size() const;
  // Whether `ip` is on this node's whitelist (NodeConfig::whitelist).
  bool is_whitelisted(std::string_view ip) const;

 private:
  enum class SlotState : std::uint8_t {
    kNotDialed,   // dialable, no connection, no timer pending (waits for a pass)
    kDialing,     // Dial emitted, waiting for Connected/DialFailed
    kConnected,   // outbound connection established
    kWaitRedial,  // redial timer armed (reconnect delay or back-off)
    kGivenUp,     // too many consecutive failed dials; the next pass starts afresh
    kNeverDial,   // the dial rule says the peer dials us
  };
  struct PeerSlot {  // fields ordered for size: 56 bytes (static_assert in node.cc)
    ConnId conn = 0;
    SimTime redial_at = kNever;
    SimTime ping_tick_at = kNever;
    SimTime ping_check_at = kNever;
    // Consecutive failed dials; the adaptive scheme's state. Its tail padding holds the
    // fields below (no_unique_address): 8 bytes per peer.
    [[no_unique_address]] ReconnectState redial;
    SlotState state = SlotState::kNeverDial;
    bool as_masternode = false;  // the class of the current dial task, fixed at its start
    // The octet tie-break's connection manager forgot this IP's outbound entry (remove(ip)
    // when it accepted a duplicate inbound) until the next dial.
    bool cm_forgotten = false;
  };
  struct Conn {  // fields ordered for size; see remote() for the address
    ConnId id = 0;
    SimTime check_anchor = kNever;  // outbound: the ping-check grid's origin (connect)
    SimTime opened_at = 0;          // when the connection was established (either side)
    // The read side, per the profile's framing (which a node never changes): a LineBuffer
    // for Framing::kNdjson, a FrameBuffer for kLengthPrefixed. One of them, not both: at
    // 10,000 nodes (16 connections each) the unused one was 6.4 MB. See lines(), frames().
    std::variant<LineBuffer, FrameBuffer> reader;
    PendingPings pending;  // outbound: oldest first (cap: pending_ping_limit); set_ping_pool
    // Inbound from an address that is not dotted-quad IPv4 (live drivers may give one):
    // the text as given. Null otherwise; the address is then remote_ipv4.
    std::unique_ptr<std::string> remote_text;
    std::uint32_t peer = 0;         // outbound: peer index; inbound: unused
    std::uint32_t remote_ipv4 = 0;  // inbound: the remote address, host byte order
    std::uint32_t missed = 0;       // outbound: pings that passed the timeout
    std::uint32_t bad_lines = 0;    // inbound: unparseable lines so far (failed_parse_count)
    std::uint16_t remote_port = 0;  // inbound: the remote's (ephemeral) port
    Direction dir = Direction::kOutbound;
    bool handshaken = false;    // inbound: a valid Handshake was received
    bool unregistered = false;  // inbound: its IP's writer was removed from the registry
                                // (b5513be outbound close): nothing can be written to it
    bool writable = false;      // carries broadcasts and requests (inbound after the
                                // handshake; outbound only if the profile registers it)
    bool deaf = false;          // inbound: a duplicate whose read loop ended while its writer stays
                                // registered (DuplicatePolicy::kOctetTieBreak): input is ignored
  };

  void on_start(SimTime now);
  void on_connected(SimTime now, const Connected& c);
  void on_dial_failed(SimTime now, const DialFailed& f);
  void on_bytes(SimTime now, const BytesIn& b);
  void on_closed(SimTime now, const Closed& c);
  void on_timer(SimTime now, TimerId id);

  void on_line(SimTime now, Conn& c, std::string_view line);      // may close c
  void on_frames(SimTime now, ConnId id);                         // length-prefixed framing
  void on_frame(SimTime now, Conn& c, std::string_view payload);  // may close c
  void dispatch(SimTime now, Conn& c, const Message& m);
  // scratch_'s bytes, for a Send, in a buffer from the payload pool when it has one.
  std::string scratch_payload();
  // c.pending is about to get a ping: a buffer from the ping pool when it has none.
  void take_ping_buffer(Conn& c);
  // Empties c.pending; its buffer goes back to the ping pool (or is freed).
  void clear_pending(Conn& c);
  // The wire bytes of `m` in this build's framing, into scratch_.
  void encode_for_wire(const Message& m);
  void on_inbound_message(SimTime now, Conn& c, const Message& m);
  void on_outbound_message(SimTime now, Conn& c, const Message& m);
  void handle_established(SimTime now, Conn& c, const Message& m);
  void protocol_error(const Conn& c, ProtocolErrorKind kind, std::string text);
  // Records a blacklist violation against c's remote IP (inbound only); emits a Ban when
  // it reaches a step of the ladder. Returns whether the IP's count says disconnect.
  bool violation(SimTime now, const Conn& c, std::string_view reason);
  void on_bad_line(SimTime now, Conn& c, std::string_view line, const DecodeError& e);
  bool on_unframed_inbound_line(SimTime now, Conn& c, std::string_view line);  // closed c?
  void unregister_ip(const std::string& ip);  // b5513be: drop the IP's inbound writers
  // ---- inbound limits (node_inbound.cc) ----
  // False if `m` is over its rate limit (skipped; may close c).
  bool within_rate_limit(SimTime now, Conn& c, const Message& m);
  // 344e7e0's after-read size check; true if the line was rejected (c may be closed).
  bool inbound_line_too_long(SimTime now, Conn& c, std::string_view line);
  // 53ac100's concatenated-JSON check; true if it dealt with the bad line.
  bool concatenated_json(Conn& c, std::string_view line);

  // ---- admission and duplicates (node_conn.cc) ----
  bool admit_inbound(SimTime now, const Conn& c);  // connection limits at accept
  bool admit_duplicate(SimTime now, Conn& c);      // after a valid Handshake; false: not accepted
  void register_inbound(SimTime now, Conn& c);     // the accepted handshake's bookkeeping
  void forget_conn_state(const Conn& c);           // registry and manager entries of an ended c
  ConnId route(const Conn& c) const;               // where a write meant for c goes; 0: nowhere
  bool outbound_to(std::string_view ip, bool with_dials) const;

  // `new_task`: a pass starts a dial task, whose class (masternode or not) is fixed here;
  // false: the task's own redial, which keeps it (spawn_connection_task's is_masternode).
  void dial(SimTime now, std::uint32_t peer, bool new_task = true);
  void send_ping(SimTime now, Conn& c);
  void check_pings(SimTime now, Conn& c);
  void purge_pings(SimTime now, Conn& c);  // dialer.purge_after_ns at a send
  bool dialled_as_masternode(std::uint32_t peer) const;
  bool inbound_established_from(std::string_view ip) const;
  // The pong check's timeout on c (kNever: no check at all).
  Duration pong_timeout(const Conn& c) const;
  bool whitelisted(const Conn& c) const;
  void rearm_ping_check(SimTime now, Conn& c);
  void send(Conn& c, const Message& m);
  std::array<std::uint8_t, 4> own_magic() const;  // the magic this build sends and requires
  bool knows(MsgKind k) const;                    // the build's NetworkMessage has the variant
  void close(SimTime now, ConnId id, CloseReason reason);  // local close
  void forget(SimTime now, ConnId id);                     // drop state after any close
  void arm(TimerKind kind, std::uint32_t slot, SimTime& field, SimTime at);
  void start_pass(SimTime now, bool startup);
  // Marks in pass_masternode_ the masternode peers this pass's masternode branch reads: the
  // first reserved_masternode_slots() entries of the masternode list (client.rs `take`).
  void select_pass_masternodes(SimTime now);
  std::uint32_t reserved_masternode_slots() const;
  // connection_manager.connected_count(): distinct IPs with an open outbound connection or
  // a handshaken inbound one.
  std::uint32_t connected_ip_count() const;
  void note(ConnId conn, NoteKind kind, std::int64_t value = 0, std::string text = {});

  Conn* find(ConnId id);
  std::size_t index_of(ConnId id) const;  // into conns_; conns_.size() when not open
  Conn& add_conn(Conn&& c);               // appends to conns_ and conn_ids_
  // "ip:port", as upstream's log lines name a peer. Its buffer has room for the log line
  // the caller builds around it (kLogLineRoom bytes), so that line allocates once.
  std::string remote(const Conn& c) const;
  std::string remote_ip(const Conn& c) const;  // the address alone (the blacklist's key)
  void append_remote_ip(std::string& out, const Conn& c) const;
  static constexpr std::size_t kLogLineRoom = 120;
  // The remote address as connected_ip_count compares it, without building strings: IPv4
  // when the address parses as one (an inbound Conn keeps remote_text only if not).
  struct RemoteIp {
    bool numeric = false;
    std::uint32_t ipv4 = 0;
    std::string_view text;  // when not numeric; valid while the Conn and config are
    bool operator==(const RemoteIp& o) const {
      return numeric == o.numeric && (numeric ? ipv4 == o.ipv4 : text == o.text);
    }
  };
  RemoteIp remote_ip_key(const Conn& c) const;

  // ---- consensus (node_consensus.cc) ----
  void consensus_start(SimTime now);
  void conn_writable(SimTime now, Conn& c);  // c just became writable
  // Handles a consensus message; false if `m` is not one.
  bool handle_consensus(SimTime now, Conn& c, const Message& m);
  void on_heartbeat_tick(SimTime now);
  bool ignores_heartbeat_on(ConnId conn, const std::string& address);  // planted bug
  void on_submit(SimTime now, std::uint64_t txid);
  void on_tx(SimTime now, std::uint64_t txid, bool body, const std::string* voter);
  void apply_block_txs(const Block& b);
  std::uint32_t committee_size(SimTime now, std::uint32_t active) const;
  void on_slot(SimTime now);
  void slot_every_node_round(SimTime now, std::uint64_t height);  // hypothetical rule
  void slot_main_rs_producer(SimTime now, std::uint64_t height);  // 31ad283's main.rs
  // Below the expected height by more than `slack`: starts a catch-up; true if behind.
  bool catch_up_if_behind(SimTime now, std::uint64_t slack);
  std::uint64_t expected_height(SimTime now) const;
  void open_round(SimTime now, std::uint64_t height);
  void propose(SimTime now, std::uint64_t height);
  void on_sync_poll(SimTime now);
  void on_proposal(SimTime now, const BlockProposal& p);
  void on_vote(SimTime now, const BlockVote& v);
  void on_commit_msg(SimTime now, const BlockCommit& c);
  void on_blocks(SimTime now, const BlocksResponse& r);
  void check_quorum(SimTime now, std::uint64_t height);
  void commit(SimTime now, const Block& b, std::uint32_t votes, std::uint32_t active,
              bool broadcast_commit);
  void learn_height(SimTime now, std::uint64_t height);
  void sync_requests();
  Conn* writable_conn_to(std::string_view ip);  // first writable connection to `ip`
  void broadcast(const Message& m);
  void chain_event(ChainEventKind kind, const Block* b, std::uint64_t height,
                   std::uint32_t votes = 0, std::uint32_t active = 0);
  void prune_rounds();

  // ---- server broadcast channel (node_broadcast.cc; VersionProfile::broadcast) ----
  // One channel message (the bytes in scratch_) for listener connection `sub`, whose task
  // writes it to `target`: written now, or held while a write there is blocked.
  void channel_send(const Conn& sub, ConnId target, MsgKind kind);
  // The listener's BFT relay (broadcast.relay_bft): `m` arrived on `from`.
  void relay_bft(const Conn& from, const Message& m);
  void on_write_blocked(SimTime now, const WriteBlocked& w);

  // ---- masternode gossip (gossip.cc; VersionProfile::gossip) ----
  bool outbound_handles(MsgKind kind) const;                 // besides Ping/Pong and handles_all
  void send_on_connect_announcements(SimTime now, Conn& c);  // listener, after the Ack
  void send_on_connect_get_masternodes(Conn& c);             // listener, after GetPeers
  void gossip_start(SimTime now);                            // masternode start-up
  void gossip_tick(SimTime now);                             // heartbeat tick, before it
  // Handles MasternodeAnnouncement, GetMasternodes, MasternodesResponse; false otherwise.
  bool handle_gossip(SimTime now, Conn& c, const Message& m);
  void relay_heartbeat(const Conn& from, const Heartbeat& hb);
  // Whether the dial loops treat peer `p` as a masternode at `now`.
  bool masternode_peer(SimTime now, std::uint32_t p) const;
  // 126d7ee: an outbound session to peer `p` ended, or a dial to it failed.
  void masternode_disconnected(SimTime now, std::uint32_t p, bool dial_failed);

  // ---- peer exchange (node_pex.cc; VersionProfile::pex) ----
  void answer_get_peers(Conn& c);  // PeersResponse: the seeds and the listed candidates
  void on_peers_response(SimTime now, const Conn& c, const PeersResponse& r);
  void learn_candidate(SimTime now, std::string_view ip);
  void on_pex_purge(SimTime now);
  void drop_unlisted_slots();  // at a pass: dropped candidates are not dialled again

  NodeConfig cfg_;
  const VersionProfile* profile_;
  Prng prng_;
  bool started_ = false;
  IpBlacklist blacklist_;                // the listener's, for all inbound connections
  RateLimiter rate_;                     // the listener's, for all inbound connections
  PeerExchange pex_;                     // learned dial candidates (entries past the seeds)
  InboundAdmission admission_;           // the listener's connection limits
  WriterRegistry writers_;               // one writer per remote IP
  BroadcastChannel channel_;             // the listener's broadcast subscribers
  std::vector<std::string> cm_inbound_;  // octet tie-break: the manager's inbound IPs
  std::vector<PeerSlot> slots_;          // parallel to cfg_.peers
  std::vector<Conn> conns_;              // open connections, few per node
  // conns_[i].id, packed: find() scans 8 bytes per connection, not a 128-byte Conn each
  // (at 10,000 nodes that scan was the loop's largest stall). Changed only by add_conn
  // and forget.
  std::vector<ConnId> conn_ids_;
  std::vector<std::uint32_t> pass_queue_;      // peers left to dial in the current pass
  std::vector<std::uint8_t> pass_masternode_;  // per slot: read by this pass's masternode branch
  std::size_t pass_next_ = 0;
  SimTime pass_at_ = kNever;
  SimTime pass_step_at_ = kNever;
  std::vector<Output>& out() { return sink_ != nullptr ? *sink_ : out_; }
  // Appends output T built in place from `args` (a temporary would be moved through the
  // variant: several times the cost of building it, measured with callgrind).
  template <class T, class... Args>
  void emit(Args&&... args) {
    out().emplace_back(std::in_place_type<T>, std::forward<Args>(args)...);
  }
  std::vector<Output> out_;              // outputs when there is no sink
  std::vector<Output>* sink_ = nullptr;  // see set_output_sink
  std::string scratch_;
  std::vector<std::string>* payload_pool_ = nullptr;  // see set_payload_pool
  std::vector<PendingPings>* ping_pool_ = nullptr;    // see set_ping_pool
  std::int64_t drift_ppm_ = 0;
  SimTime drift_since_ = 0;

  // ---- consensus state ----
  struct Round {  // this node's view of the consensus round for one height
    std::uint64_t height = 0;
    std::string leader;
    std::uint32_t active = 0;     // active masternodes when the round started
    std::uint32_t committee = 0;  // the quorum's n (registered or active, per config)
    SimTime started = 0;
    bool has_proposal = false;
    Block proposal;
  };
  struct Vote {
    std::uint64_t height;
    std::uint64_t block_hash;
    std::string voter;
  };
  Chain chain_;
  MasternodeRegistry registry_;
  std::uint64_t registry_order_key_ = 0;  // the per-process HashMap key
  std::vector<std::string_view> sorted_scratch_;
  std::uint64_t heartbeat_seq_ = 0;
  // Planted bug (VersionProfile::planted_listener_ignores_heartbeats_after_reconnect): the
  // inbound connection each masternode's heartbeats were first heard on.
  std::vector<std::pair<std::string, ConnId>> first_heartbeat_conn_;
  SimTime heartbeat_at_ = kNever;
  SimTime slot_at_ = kNever;
  SimTime sync_at_ = kNever;
  std::vector<Round> rounds_;  // open rounds, heights above the tip
  std::vector<Vote> votes_;    // votes for heights above the tip, kept until commit
  bool syncing_ = false;
  std::uint64_t sync_target_ = 0;
  SimTime sync_deadline_ = kNever;
  std::vector<std::string_view> active_scratch_;
  struct TxState {
    bool body = false;      // the TransactionBroadcast (or the submission) was seen
    bool final = false;     // ceil(2n/3) approvals counted here
    bool in_block = false;  // included in a block of this node's chain
    std::vector<std::string> voters;
  };
  std::map<std::uint64_t, TxState> txs_;  // by txid (ordered: blocks list txids ascending)
};

}  // namespace ts::node
