// A dial task's reconnection decision (client.rs spawn_connection_task), as a pure function
// of the profile, the peer's state and the time: the delay before the next dial after an
// established session ended or after a failed dial, or the end of the task (give up), or a
// cooldown. The scheme and its numbers come from VersionProfile (DialerPolicy and
// ProtocolTimers); the node only arms the timer and records the note.
#pragma once

#include <cstdint>

#include "common/time.h"
#include "node_core/version_profile.h"

namespace ts::node {

// Per-peer reconnection state. Doubling: the task's failure count. Adaptive: the node-wide
// AdaptiveReconnectionAI profile of the peer's IP (it outlives a task, not the process).
// `failures` is last so that a PeerSlot (node.h) packs its flags into the tail padding.
struct ReconnectState {
  double learned_delay_s = 5.0;      // adaptive: optimal_retry_delay_secs
  SimTime last_failure_at = kNever;  // adaptive: time of the last failed dial
  std::uint32_t failures = 0;        // consecutive failed dials
};

struct ReconnectDecision {
  enum class Action : std::uint8_t {
    kRetry,     // dial again after delay_ns
    kGiveUp,    // the task ends; the next pass starts afresh
    kCooldown,  // dial again after delay_ns; no dial of the peer before that
  };
  Action action = Action::kRetry;
  Duration delay_ns = 0;
};

// `masternode`: the dial is masternode-flagged (dialled by the masternode branches).
ReconnectDecision after_session(const VersionProfile& p, ReconnectState& s, bool masternode);
ReconnectDecision after_failure(const VersionProfile& p, ReconnectState& s, bool masternode,
                                SimTime now);
// Whether a dial may start now (adaptive: not within a cooldown; the loop-top advice).
bool may_dial(const VersionProfile& p, const ReconnectState& s, SimTime now);

}  // namespace ts::node
