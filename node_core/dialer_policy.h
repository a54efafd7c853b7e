// The dialer's reconnection, pong-timeout and pending-nonce variants, as data
// (VersionProfile::dialer). The defaults are the incident commits' (ea701a4, b5513be,
// 31ad283): one doubling scheme for both peer classes, no whitelisting, no purge.
// Upstream file:line per commit: docs/fidelity.md "Dialer reconnection and pong variants".
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace ts::node {

// How a dial task picks its next delay (client.rs spawn_connection_task).
enum class ReconnectScheme : std::uint8_t {
  kDoubling,  // fixed delay after a session; back-off doubles per failure, capped; give up
              // after a count (ea701a4 .. b8a9d18^)
  kAdaptive,  // AdaptiveReconnectionAI (b8a9d18): per-peer learned delay, cooldown instead
              // of giving up (reconnect_policy.cc has the formula)
};
inline constexpr std::array<std::string_view, 2> kReconnectSchemeNames = {"doubling", "adaptive"};

// Which dialer connections count as whitelisted for the pong timeout.
enum class WhitelistSource : std::uint8_t {
  kNone,            // none (the incident commits)
  kMasternodeFlag,  // the dial's masternode flag: `is_whitelisted = is_masternode` (79645be)
  kConfig,          // the operator's whitelist, NodeConfig::whitelist (546a294 .. 79645be^)
};
inline constexpr std::array<std::string_view, 3> kWhitelistSourceNames = {"none", "masternode-flag",
                                                                          "config"};

// What the pong check does on a whitelisted connection.
enum class WhitelistedPong : std::uint8_t {
  kClose,       // the whitelisted timeout/count, then close (79645be)
  kResetClear,  // at the count: misses := 0, pending pings cleared, connection kept (546a294)
  kReset,       // at the count: misses := 0, pending pings kept, connection kept (fae8ba7)
  kUnchecked,   // the check does nothing at all: no miss, never closed (23cebb4)
};
inline constexpr std::array<std::string_view, 4> kWhitelistedPongNames = {"close", "reset-clear",
                                                                          "reset", "unchecked"};

struct DialerPolicy {
  ReconnectScheme reconnect_scheme = ReconnectScheme::kDoubling;
  // Doubling scheme, masternode-flagged dials (the other class uses ProtocolTimers'
  // reconnect_delay_ns / dial_backoff_*; the give-up counts are there for both classes).
  Duration masternode_reconnect_delay_ns = seconds(5);   // after an established session
  Duration masternode_backoff_initial_ns = seconds(10);  // first back-off after a failure
  Duration masternode_backoff_max_ns = seconds(300);     // back-off cap
  // Adaptive scheme: this many consecutive failures start a cooldown of `cooldown_ns`
  // since the last failure, during which the peer is not dialled.
  std::uint32_t cooldown_after_failures = 10;
  Duration cooldown_ns = seconds(600);

  WhitelistSource whitelist_source = WhitelistSource::kNone;
  WhitelistedPong whitelisted_pong = WhitelistedPong::kClose;
  Duration whitelisted_pong_timeout_ns = seconds(90);  // a whitelisted ping older is a miss
  std::uint32_t whitelisted_max_missed = 3;            // misses that act on a whitelisted conn

  // Pending nonces (record_ping_sent): before a ping is added, if VersionProfile::
  // pending_ping_limit (0: no cap) are pending, the oldest `pending_drop` go.
  std::uint32_t pending_drop = 1;
  // After it is added, pings older than this are purged uncounted (kNever: no purge).
  Duration purge_after_ns = kNever;
  // A ping exactly purge_after_ns old at a send: upstream's purge sees it just over or just
  // under the limit, depending on timer lateness, and select! order (not determined). It is
  // purged with this chance in percent (a draw from the node's stream; 0 and 100 draw nothing).
  std::uint32_t purge_edge_percent = 0;
};

}  // namespace ts::node
