#include "node_core/reconnect_policy.h"

#include <algorithm>
#include <cmath>

namespace ts::node {
namespace {

// AdaptiveReconnectionAI's constants, identical from b8a9d18 to 49f500d
// (ai/adaptive_reconnection.rs at b8a9d18): ReconnectionConfig::default() :97-108,
// record_connection_success :155, record_connection_failure :196-198, calculate_advice
// :361-383. set_network_health has no caller, so the health factor is always 1.
constexpr double kMinDelayS = 2.0;      // min_retry_delay_secs
constexpr double kMaxDelayS = 300.0;    // max_retry_delay_secs
constexpr double kFailureFactor = 1.5;  // backoff_multiplier
constexpr double kSuccessFactor = 0.9;  // optimal × 0.9 on success
constexpr double kMasternodeFactor = 0.5;
constexpr double kPerFailure = 0.5;  // failure_factor = 1 + 0.5 × consecutive failures

bool in_cooldown(const VersionProfile& p, const ReconnectState& s, SimTime now) {
  return s.failures >= p.dialer.cooldown_after_failures && s.last_failure_at != kNever &&
         now - s.last_failure_at < p.dialer.cooldown_ns;
}

// calculate_advice's delay: floor(clamp(optimal × mn × (1 + 0.5 f), 2, 300)) whole seconds.
Duration adaptive_delay(const ReconnectState& s, bool masternode) {
  const double mn = masternode ? kMasternodeFactor : 1.0;
  const double d =
      std::clamp(s.learned_delay_s * mn * (1.0 + kPerFailure * s.failures), kMinDelayS, kMaxDelayS);
  return seconds(static_cast<std::int64_t>(std::floor(d)));
}

}  // namespace

ReconnectDecision after_session(const VersionProfile& p, ReconnectState& s, bool masternode) {
  s.failures = 0;
  if (p.dialer.reconnect_scheme == ReconnectScheme::kAdaptive) {
    s.learned_delay_s = std::max(s.learned_delay_s * kSuccessFactor, kMinDelayS);
    return {ReconnectDecision::Action::kRetry, adaptive_delay(s, masternode)};
  }
  return {ReconnectDecision::Action::kRetry,
          masternode ? p.dialer.masternode_reconnect_delay_ns : p.timers.reconnect_delay_ns};
}

ReconnectDecision after_failure(const VersionProfile& p, ReconnectState& s, bool masternode,
                                SimTime now) {
  ++s.failures;
  if (p.dialer.reconnect_scheme == ReconnectScheme::kAdaptive) {
    s.last_failure_at = now;
    s.learned_delay_s = std::min(s.learned_delay_s * kFailureFactor, kMaxDelayS);
    // The advice after the result: in cooldown, wait out what is left of it (all of it).
    if (in_cooldown(p, s, now)) return {ReconnectDecision::Action::kCooldown, p.dialer.cooldown_ns};
    return {ReconnectDecision::Action::kRetry, adaptive_delay(s, masternode)};
  }
  const std::uint32_t limit =
      masternode ? p.timers.max_dial_failures_masternode : p.timers.max_dial_failures_other;
  if (s.failures >= limit) return {ReconnectDecision::Action::kGiveUp, 0};
  // initial, ×2 per further failure, capped (client.rs: delay = min(delay × 2, cap)).
  const Duration initial =
      masternode ? p.dialer.masternode_backoff_initial_ns : p.timers.dial_backoff_initial_ns;
  const Duration cap =
      masternode ? p.dialer.masternode_backoff_max_ns : p.timers.dial_backoff_max_ns;
  Duration backoff = initial;
  for (std::uint32_t i = 1; i < s.failures && backoff < cap; ++i)
    backoff *= 2;
  return {ReconnectDecision::Action::kRetry, std::min(backoff, cap)};
}

bool may_dial(const VersionProfile& p, const ReconnectState& s, SimTime now) {
  return p.dialer.reconnect_scheme != ReconnectScheme::kAdaptive || !in_cooldown(p, s, now);
}

}  // namespace ts::node
