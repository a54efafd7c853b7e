// Version profiles: what differs between builds of the real node, as data.
//
// A profile names a commit of time-coin/time-masternode and sets the behaviour switches
// and timers the node model reads. Adding a version means adding one entry to the table
// in version_profile.cc; the state machine has no per-version `if` on names.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/time.h"

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
  Duration connect_timeout_ns = seconds(10);        // TCP connect timeout on the dialer

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

struct VersionProfile {
  std::string_view name;         // scenario name, e.g. "post-fix"
  std::string_view commit;       // upstream commit, e.g. "31ad283"
  std::string_view description;  // one line for docs and reports

  // Outbound side sends Handshake before its first Ping.
  bool sends_handshake_first = false;
  // The `network` field of that Handshake (31ad283 hard-codes "mainnet").
  std::string_view handshake_network = "mainnet";
  // Outbound side handles every message; otherwise all but Ping/Pong are dropped.
  bool outbound_handles_all_messages = false;
  // Outbound side logs what it drops (b5513be). Changes no byte on the wire.
  bool outbound_logs_dropped_messages = false;
  // Outbound connections are registered for broadcasts (later fix).
  bool outbound_writes_broadcasts = false;
  // Pending ping nonces kept per outbound connection; older ones are forgotten.
  std::uint32_t pending_ping_limit = 5;
  // Longest accepted line in bytes; 0 = unlimited (the incident commits: read_line() buffers
  // whatever arrives). A longer line is discarded as it arrives and recorded as a
  // `line_too_long` protocol error; the connection stays open.
  std::uint64_t max_line_bytes = 0;
  // PLANTED BUG, for `timesim hunt`'s tests only (no upstream commit has it): a listener
  // ignores a masternode's heartbeats on every inbound connection after the first one it
  // heard them on, so a reconnection makes the dialer look offline to it for good.
  bool planted_listener_ignores_heartbeats_after_reconnect = false;

  ProtocolTimers timers;
};

// All known profiles, in a stable order (oldest first).
std::span<const VersionProfile> all_profiles();
// The profile called `name`, or nullptr.
const VersionProfile* find_profile(std::string_view name);

}  // namespace ts::node
