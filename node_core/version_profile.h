// Version profiles: what differs between builds of the real node, as data.
//
// A profile names a commit of time-coin/time-masternode and sets the behaviour switches
// and timers the node model reads. Adding a version means adding one entry to the table
// in version_profile.cc; the state machine has no per-version `if` on names. Every switch
// and timer is listed in node_core/profile_fields.h (keys, types, docs, access): a new
// member needs its line there too. Scenarios define more profiles in `versions:`.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/time.h"
#include "node_core/broadcast_policy.h"
#include "node_core/conn_policy.h"
#include "node_core/dialer_policy.h"
#include "node_core/gossip_policy.h"
#include "node_core/inbound_policy.h"
#include "node_core/pex_policy.h"

namespace ts::node {

// Protocol timers (ns). Identical in the incident's three commits.
struct ProtocolTimers {
  Duration ping_interval_ns = seconds(30);          // outbound ping interval (first tick at once)
  Duration ping_check_interval_ns = seconds(10);    // how often unanswered pings are checked
  Duration ping_timeout_ns = seconds(90);           // a ping older than this is a miss
  std::uint32_t max_missed_pongs = 3;               // misses that close the connection
  Duration reconnect_delay_ns = seconds(5);         // redial after an established connection ends
  Duration dial_backoff_initial_ns = seconds(10);   // first back-off after a failed dial
  Duration dial_backoff_max_ns = seconds(300);      // back-off cap
  std::uint32_t max_dial_failures_masternode = 20;  // consecutive failures before giving up
  std::uint32_t max_dial_failures_other = 10;
  Duration redial_pass_interval_ns = seconds(120);  // periodic pass over disconnected peers
  Duration redial_pass_spacing_ns = millis(100);    // spacing of dials within one pass
  // Application connect timeout on the dialer; kNever = none, the dial waits for the OS
  // (Linux gives up after its SYN retries, sim/linux_tcp.h). None at the incident commits
  // (peer_connection.rs new_outbound: a bare TcpStream::connect); 10 s from c55ddd8.
  Duration connect_timeout_ns = kNever;

  // Consensus and sync (protocol.md "Consensus and sync"); used when consensus is on.
  Duration heartbeat_interval_ns = seconds(60);   // masternode heartbeat (first tick at once)
  Duration masternode_offline_ns = seconds(180);  // no heartbeat for this long: offline
  Duration block_interval_ns = seconds(600);      // slots at wall-clock multiples of this
  std::uint32_t min_active_masternodes = 3;       // fewer active: the slot is skipped
  Duration leader_grace_ns = seconds(30);         // after this, any proposer is accepted
  std::uint32_t sync_peers = 5;                   // peers asked per sync poll
  Duration sync_poll_interval_ns = seconds(2);    // sync poll period
  Duration sync_timeout_ns = seconds(60);         // a sync attempt gives up after this
  std::uint32_t max_blocks_per_response = 101;    // BlocksResponse cap
};

// One step of the listener's blacklist ladder: the IP's `violations`-th violation bans it
// for `ban_ns` (kNever: permanently).
struct BanStep {
  std::uint32_t violations = 0;  // 0: an unused entry
  Duration ban_ns = 0;
};

// What an inbound connection's misbehaviour costs (server.rs's message loop and
// blacklist.rs, identical at ea701a4, b5513be and 31ad283). Counts are per remote IP,
// shared by all of its connections to this node.
struct BlacklistPolicy {
  std::array<BanStep, 3> ladder = {BanStep{3, 5 * kMinute}, BanStep{5, kHour}, BanStep{10, kNever}};
  // A violation more than this after the IP's previous one restarts its count.
  Duration violation_memory_ns = kHour;
  // Unparseable lines that close one inbound connection (failed_parse_count); 0: no limit.
  std::uint32_t max_bad_lines = 10;
  // Before the handshake a line starting with this is the old binary protocol: a
  // violation, close. Empty: no such check.
  std::string_view old_protocol_prefix = "~W~M";
  // Whitelisted IPs (IpBlacklist::set_whitelist) are never counted or banned (a875f42).
  bool whitelist_exempt = false;
};

// TCP keepalive the listener sets on accepted sockets (server.rs: socket2 TcpKeepalive).
struct KeepaliveConfig {
  Duration idle_ns = 0;      // first probe after this long without a received segment; 0: off
  Duration interval_ns = 0;  // between unanswered probes
  std::uint32_t probes = 0;  // unanswered probes that end the connection; 0: not set,
                             // the OS default (Linux tcp_keepalive_probes, sim/linux_tcp.h)
};

// How a build runs the masternode layer, as data. The defaults are 31ad283's (and
// ea701a4's and b5513be's: those commits differ only in client.rs and peer_connection.rs);
// every field's upstream file:line is in docs/fidelity.md.
struct ConsensusRules {
  // Who proposes: main.rs's producer (SHA-256 of prev_hash and height over the eligible
  // list in registry HashMap order; only that node starts a BFT round, and proposes only if
  // it is also the BFT leader), or every node's round with the BFT leader proposing.
  enum class Proposer : std::uint8_t { kMainRsProducer, kBftLeaderEveryNode };
  Proposer proposer = Proposer::kMainRsProducer;
  bool leader_votes_own_block = false;        // propose_block() casts no vote of its own
  bool sends_get_block_height = false;        // nothing sends GetBlockHeight at 31ad283
  bool handles_sync_responses = false;        // BlocksResponse, BlockHeightResponse: `_ => {}`
  bool registers_heartbeat_senders = false;   // a heartbeat from an unknown node is ignored
  bool counts_own_tx_vote = false;            // the own TransactionVote is only broadcast
  bool tx_votes_only_from_registered = true;  // "Vote from non-masternode" otherwise
  std::uint32_t min_tx_committee = 1;         // fewer registered: no transaction is final
  // Catch-up (blockchain.rs catchup_blocks): GetBlocks(tip+1, expected) once to the first
  // `sync_peers` entries of the peer list, then polls; when behind the schedule (main.rs).
  bool catchup_when_behind_schedule = true;
  bool get_blocks_every_poll = false;  // true: re-asked at every poll (model's old rule)
  // A proposal or commit above the tip starts a sync (hypothetical; upstream's BFT handlers
  // start none).
  bool bft_messages_trigger_sync = false;
  // Registry monitor: offline after timers.masternode_offline_ns without a heartbeat, but
  // checked only every `offline_check_interval_ns` (0: at every read); removed when offline
  // and silent for more than `remove_after_ns` (0: never).
  Duration offline_check_interval_ns = seconds(120);
  Duration remove_after_ns = seconds(3600);
};

// Which side of a pair of nodes dials the other (client.rs's connection loops).
enum class DialRule : std::uint8_t {
  kStringLower,   // own IP < peer IP as strings (ea701a4 .. 346590a^)
  kOctetsHigher,  // own IP's octets > the peer's (346590a: should_connect_to)
  kBoth,          // no rule: both sides dial (9fc70f4)
};
inline constexpr std::array<std::string_view, 3> kDialRuleNames = {"string-lower", "octets-higher",
                                                                   "both"};

// The handshake magic a build sends and requires (a122294: from the network type).
enum class HandshakeMagic : std::uint8_t {
  kTime,     // "TIME" (the incident commits; testnet from a122294)
  kMainnet,  // 0xC0 0x1D 0x7E 0x4D (mainnet from a122294: network_type.rs)
};
inline constexpr std::array<std::string_view, 2> kHandshakeMagicNames = {"TIME", "C01D7E4D"};

// How messages are framed on the TCP stream.
enum class Framing : std::uint8_t {
  kNdjson,          // one JSON value per '\n'-terminated line (the incident commits)
  kLengthPrefixed,  // 34bcf6e: u32 big-endian length, then the payload (node_core/frame_buffer.h)
};
inline constexpr std::array<std::string_view, 2> kFramingNames = {"ndjson", "length-prefixed"};

// A build's wire format. A variant the build's NetworkMessage enum lacks is an unknown
// variant to its decoder (a parse error, on the listener a violation), and the build never
// sends it.
struct WireFormat {
  bool bft = true;        // BlockProposal, BlockVote, BlockCommit (removed in 6e08456)
  bool heartbeat = true;  // HeartbeatBroadcast (removed in 6df971e)
  Framing framing = Framing::kNdjson;
  // kLengthPrefixed: a longer announced length ends the connection (wire.rs MAX_FRAME_SIZE).
  std::uint64_t max_frame_bytes = 4 * 1024 * 1024;
  // kLengthPrefixed: a payload that does not decode is skipped (45404fc's UnknownMessage)
  // instead of ending the connection (34bcf6e). Neither records a violation.
  bool skip_undecodable = false;
};

struct VersionProfile {
  std::string_view name;         // scenario name, e.g. "post-fix"
  std::string_view commit;       // upstream commit, e.g. "31ad283"
  std::string_view description;  // one line for docs and reports
  std::string_view base;         // the profile this one changes ("" for the oldest)

  DialRule dial_rule = DialRule::kStringLower;
  // Outbound side sends Handshake before its first Ping.
  bool sends_handshake_first = false;
  // The `network` field of that Handshake (31ad283 hard-codes "mainnet").
  std::string_view handshake_network = "mainnet";
  HandshakeMagic handshake_magic = HandshakeMagic::kTime;
  WireFormat wire;
  // Outbound side handles every message; otherwise all but Ping/Pong are dropped.
  bool outbound_handles_all_messages = false;
  // Outbound side logs what it drops (b5513be). Changes no byte on the wire.
  bool outbound_logs_dropped_messages = false;
  // Outbound connections are registered for broadcasts (later fix).
  bool outbound_writes_broadcasts = false;
  // Pending ping nonces kept per outbound connection; older ones are forgotten (how many:
  // dialer.pending_drop). 0: no cap.
  std::uint32_t pending_ping_limit = 5;
  // Longest accepted line in bytes; 0 = unlimited (the incident commits: read_line() buffers
  // whatever arrives). What a longer line costs is inbound.line_limit: by default it is
  // discarded as it arrives and recorded as a `line_too_long` protocol error; the
  // connection stays open.
  std::uint64_t max_line_bytes = 0;
  // A line that is not UTF-8 ends the connection, on either side (tokio's read_line
  // returns InvalidData and both message loops break): no violation is recorded.
  bool invalid_utf8_ends_connection = true;
  // Inbound violations and bans.
  BlacklistPolicy blacklist;
  // Inbound rate limits, the line-size check and unparseable lines (inbound_policy.h).
  InboundPolicy inbound;
  // Keepalive on inbound sockets (30 s idle, 10 s interval, probes left to the OS).
  KeepaliveConfig inbound_keepalive{seconds(30), seconds(10), 0};
  // masternode_registry.list_active() lists the remote masternodes, so they are dialled by
  // the masternode branches (give up after max_dial_failures_masternode; the 120 s pass
  // dials them with no spacing and no back-off check). False at the incident commits:
  // nobody sends MasternodeAnnouncement, so every peer is a regular peer (limit 10).
  bool remote_masternodes_active = false;
  // config.network.max_peers (config.rs default and config.toml: 50). It caps what a pass
  // reads (client.rs PHASE1-3, every commit from ea701a4 on): the masternode branches take
  // the first clamp(max_peers * 40 / 100, 20, 30) registry entries (reserved slots); the
  // peer branch takes the first max_peers - connected entries of the peer list.
  std::uint32_t max_peers = 50;
  // When an outbound connection ends, the peer's IP is removed from the writer registry
  // (b5513be, client.rs): an inbound connection from that IP can no longer be written to.
  bool outbound_close_unregisters_ip = false;
  // PLANTED BUG, for `timesim hunt`'s tests only (no upstream commit has it): a listener
  // ignores a masternode's heartbeats on every inbound connection after the first one it
  // heard them on, so a reconnection makes the dialer look offline to it for good.
  bool planted_listener_ignores_heartbeats_after_reconnect = false;

  ProtocolTimers timers;
  ConsensusRules consensus;
  // Reconnection scheme, pong-timeout and pending-nonce variants of the dialer.
  DialerPolicy dialer;
  GossipPolicy gossip;  // masternode announcements, lists, heartbeat relay, dialer kinds
  // Listener admission, duplicate connections, whitelist semantics (conn_policy.h).
  ConnPolicy conn;
  // The server broadcast channel: BFT relay, capacity (broadcast_policy.h).
  BroadcastPolicy broadcast;
  PexPolicy pex;  // peer exchange and the hourly candidate purge (pex_policy.h)
};

// All known profiles, in a stable order (oldest first).
std::span<const VersionProfile> all_profiles();
// The profile called `name`, or nullptr.
const VersionProfile* find_profile(std::string_view name);

}  // namespace ts::node
