// The inputs a driver feeds a Node and the outputs it drains back (sans-IO).
//
// A driver is one loop: deliver an Input with `Node::handle(now, in)`, then
// `Node::drain(out)` and carry the outputs out in order. Outputs name connections by the
// ConnId the driver chose; the node never allocates ids, reads clocks or touches sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/time.h"
#include "node_core/message.h"

namespace ts::node {

using ConnId = std::uint64_t;  // chosen by the driver, unique per node for a run

enum class Direction : std::uint8_t { kOutbound, kInbound };

// Why a connection ended (or a dial failed). Stable names go into the results DB.
enum class CloseReason : std::uint8_t {
  kNone,
  kPeerClosed,              // EOF: the remote closed (FIN)
  kReset,                   // RST from the remote or the path
  kPongTimeout,             // outbound: max_missed_pongs pings unanswered past the timeout
  kMessageBeforeHandshake,  // inbound: first message was not a Handshake
  kBadHandshake,            // inbound: wrong magic or protocol_version
  kInvalidMessage,          // a line that does not decode, where that closes
  kLineTooLong,             // (unused since lines over the limit are skipped, not closed on)
  kConnectRefused,          // dial: RST to the SYN (nothing listening)
  kConnectTimeout,          // dial: no answer within connect_timeout
  kNodeStopped,             // this node stopped (crash, restart, upgrade)
  kRetransmitTimeout,       // this side's kernel gave up: one segment retransmitted
                            // tcp_retries2 (15) times without an ACK (loss faults)
  kEndOfRun,                // still open when the run ended
  kOldProtocol,             // inbound: first line starts with the old binary protocol's magic
  kBanned,                  // inbound: accepted from a banned IP and dropped at once
  kInvalidUtf8,             // a line that is not UTF-8 (tokio read_line fails: the loop ends)
  kKeepaliveTimeout,        // the listener's kernel: keepalive probes unanswered (dead peer)
  kRateLimited,             // inbound: a message over its rate limit, and the blacklist
                            // says disconnect (inbound.excess_is_violation)
  kConnectionLimit,         // inbound: refused at accept by a connection limit (ConnPolicy)
  kDuplicateConnection,     // inbound: a second connection to an IP, rejected after handshake
  kBroadcastLagged,         // inbound: its broadcast subscriber fell more than the channel's
                            // capacity behind while a write was blocked (RecvError::Lagged)
  kCount,
};
std::string_view close_reason_name(CloseReason r);

// Protocol timers live in a fixed table: a TimerId names one entry.
enum class TimerKind : std::uint8_t {
  kRedial,      // slot = peer: reconnect delay or dial back-off expired
  kPingTick,    // slot = peer: outbound ping interval tick
  kPingCheck,   // slot = peer: outbound unanswered-ping check
  kRedialPass,  // slot = 0: periodic pass over disconnected peers
  kPassStep,    // slot = 0: next dial of the current pass (100 ms spacing)
  kHeartbeat,   // slot = 0: masternode heartbeat (consensus on)
  kBlockSlot,   // slot = 0: block production slot (consensus on)
  kSyncPoll,    // slot = 0: next poll of a running sync
  kPexPurge,    // slot = 0: cleanup_stale_peers drops the learned candidates (peer_exchange.h)
  kCount,
};
struct TimerId {
  TimerKind kind = TimerKind::kRedial;
  std::uint32_t slot = 0;
  friend bool operator==(const TimerId&, const TimerId&) = default;
};

// ---- Inputs ----------------------------------------------------------------------------
struct Start {};  // the node process starts (fresh state)
// An outbound dial to peer `peer` completed (TCP connected), or an inbound connection was
// accepted from `remote_ip`:`remote_port`.
struct Connected {
  ConnId conn = 0;
  Direction dir = Direction::kOutbound;
  std::uint32_t peer = 0;         // outbound: the peer index given in Dial
  std::string_view remote_ip;     // inbound: the remote address (valid during the call)
  std::uint16_t remote_port = 0;  // inbound: the remote (ephemeral) port
};
struct DialFailed {
  std::uint32_t peer = 0;
  CloseReason reason = CloseReason::kConnectRefused;
};
struct BytesIn {
  ConnId conn = 0;
  std::string_view bytes;  // valid during the call
};
struct Closed {  // the driver saw the connection end (EOF, RST, ...)
  ConnId conn = 0;
  CloseReason reason = CloseReason::kPeerClosed;
};
struct TimerFired {
  TimerId id;
};
// A client submits a transaction to this node (RPC `sendtransaction`; consensus on).
struct SubmitTransaction {
  std::uint64_t txid = 0;
};
// The driver's socket on `conn` accepts no more bytes (blocked: its send buffer and the
// peer's receive window are full) or accepts them again (blocked = false). Only a driver
// that models socket buffers sends it (node_core/broadcast_channel.h).
struct WriteBlocked {
  ConnId conn = 0;
  bool blocked = true;
};
using Input = std::variant<Start, Connected, DialFailed, BytesIn, Closed, TimerFired,
                           SubmitTransaction, WriteBlocked>;

// ---- Outputs ---------------------------------------------------------------------------
struct Send {  // write one encoded message (a whole line) to `conn`
  ConnId conn = 0;
  MsgKind kind = MsgKind::kPing;
  std::string bytes;
};
struct Dial {  // open a TCP connection to peer `peer` (index into NodeConfig::peers)
  std::uint32_t peer = 0;
};
struct Close {  // close `conn` (FIN after the bytes already sent)
  ConnId conn = 0;
  CloseReason reason = CloseReason::kNone;
};
struct SetTimer {  // (re)arm timer `id` for absolute time `at`; kNever disarms
  TimerId id;
  SimTime at = kNever;
};

// Observations for the recorder. They change nothing on the wire.
enum class NoteKind : std::uint8_t {
  kHandshakeSent,      // outbound: Handshake written
  kHandshakeAccepted,  // inbound: valid Handshake, Ack sent
  kPingSent,           // outbound: value = nonce
  kPongMatched,        // outbound: value = round-trip time in ns
  kPongUnmatched,      // outbound: a Pong whose nonce is not pending; value = nonce
  kPingMissed,         // outbound: a ping passed the timeout; value = misses so far
  kPingAnswered,       // either side: a Pong was written for a received Ping
  kMessageDropped,     // outbound: a message dropped unhandled; value = MsgKind; text = the
                       // node's debug log line, empty if the build drops it silently
  kMessageHandled,     // a message was handled; value = MsgKind
  kProtocolError,      // value = ProtocolErrorKind; text = the node's log line
  kPeerGivenUp,        // no conn; value = peer index: too many failed dials
  kPeerCooldown,       // no conn; value = peer index: adaptive cooldown after failed dials
  // inbound: a valid Handshake from an IP this node already had a connection with;
  // value = DuplicateOutcome
  kDuplicateConnection,
};
enum class DuplicateOutcome : std::uint8_t {
  kAccepted,  // the new connection was accepted; the other stays open
  kRejected,  // the new connection was closed (CloseReason::kDuplicateConnection)
  kDeaf,      // octet tie-break: Ack written, reads stopped, its writer owns the IP
};
std::string_view duplicate_outcome_name(DuplicateOutcome o);
enum class ProtocolErrorKind : std::uint8_t {
  kMessageBeforeHandshake,
  kBadMagic,
  kBadProtocolVersion,
  kInvalidJson,
  kUnknownVariant,
  kInvalidFields,
  kLineTooLong,
  kDuplicateHandshake,
  kOldProtocol,    // inbound, before the handshake: a line starting with "~W~M"
  kInvalidUtf8,    // a line that is not UTF-8: the connection's read loop ends
  kFrameTooLarge,  // length-prefixed framing: a length above the maximum ends the connection
  kRateLimited,    // inbound: a message over its per-IP rate limit, skipped
  kCount,
};
std::string_view protocol_error_kind_name(ProtocolErrorKind k);

struct Note {
  ConnId conn = 0;  // 0 when not about a connection
  NoteKind kind = NoteKind::kMessageHandled;
  std::int64_t value = 0;
  std::string text;  // only for kProtocolError
};

// What happened to the node's chain and its consensus rounds (consensus on).
enum class ChainEventKind : std::uint8_t {
  kProposed,     // this node proposed `height` as the slot's leader
  kCommitted,    // applied after counting the quorum itself (votes of active)
  kAdopted,      // applied on a peer's BlockCommit for the proposal it holds (votes = signers)
  kSynced,       // applied from a BlocksResponse
  kSlotSkipped,  // a slot with fewer than min_active_masternodes active; active = count
  kSyncStarted,  // height = the target learned from a peer
  kSyncDone,     // reached the target; height = own height
  kSyncGaveUp,   // sync_timeout passed below the target; height = own height
  kTxSubmitted,  // a client submitted transaction `hash` (txid) to this node
  kTxFinalized,  // transaction `hash` reached ceil(2n/3) approvals here; votes, active = n
};
std::string_view chain_event_kind_name(ChainEventKind k);

struct ChainEvent {
  ChainEventKind kind = ChainEventKind::kCommitted;
  std::uint64_t height = 0;
  std::uint64_t hash = 0;
  std::string producer;            // block events: the block's producer
  std::int64_t slot_unix_s = 0;    // block events: the block's timestamp
  std::uint32_t votes = 0;         // kCommitted: approvals counted (own or the commit's signers)
  std::uint32_t active = 0;        // active masternodes this node saw (round start or slot)
  std::uint32_t transactions = 0;  // block events: transactions in the block
};

// The listener banned a remote IP (blacklist.rs ladder). Checked when a later connection
// from that IP is accepted; the connection that earned the ban is closed separately.
struct Ban {
  ConnId conn = 0;               // the connection whose violation reached the step
  std::string ip;                // the banned remote IP
  std::uint32_t violations = 0;  // the IP's count at the ban
  Duration duration_ns = 0;      // kNever: permanent
  std::string reason;            // the violation's reason, as upstream logs it
};

using Output = std::variant<Send, Dial, Close, SetTimer, Note, ChainEvent, Ban>;

}  // namespace ts::node
