#include "node_core/admission.h"

#include <algorithm>

namespace ts::node {

bool InboundAdmission::active() const {
  const AdmissionLimits& l = *limits_;
  return l.max_total > 0 || l.max_inbound > 0 || l.max_per_ip > 0 || l.max_regular > 0 ||
         l.max_new_inbound > 0;
}

void InboundAdmission::start(SimTime now) {
  recent_.clear();
  last_prune_ = now;
}

void InboundAdmission::record_handshake(SimTime now) {
  if (limits_->max_new_inbound > 0) recent_.push_back(now);
}

// cleanup_old_connections: a no-op unless prune_interval has passed since the last prune;
// then every entry older than the window goes.
void InboundAdmission::prune(SimTime now) {
  if (now - last_prune_ < limits_->prune_interval_ns) return;
  const SimTime cutoff = now - limits_->new_window_ns;
  std::erase_if(recent_, [&](SimTime t) { return t <= cutoff; });
  last_prune_ = now;
}

namespace {
std::string over(std::string_view what, std::size_t have, std::uint32_t max) {
  return std::string(what) + ": " + std::to_string(have) + "/" + std::to_string(max);
}
}  // namespace

// The checks in can_accept_inbound's order (connection_manager.rs:71-119 at 344e7e0,
// :78-138 at 79645be); the first one that fails is the refusal.
std::string InboundAdmission::admit(SimTime now, std::string_view ip, bool whitelisted,
                                    const std::vector<ConnectedIp>& connected) {
  const AdmissionLimits& l = *limits_;
  const std::size_t total = connected.size();
  if (l.max_total > 0 && total >= l.max_total)
    return over("Max total connections reached", total, l.max_total);
  if (whitelisted && l.whitelist_bypass) return "";
  if (l.max_regular > 0) {
    const auto regular = static_cast<std::size_t>(std::count_if(
        connected.begin(), connected.end(), [](const ConnectedIp& c) { return !c.whitelisted; }));
    if (regular >= l.max_regular)
      return over("Max regular peer connections reached", regular, l.max_regular);
  }
  if (l.max_inbound > 0) {
    const auto inbound = static_cast<std::size_t>(std::count_if(
        connected.begin(), connected.end(), [](const ConnectedIp& c) { return c.inbound; }));
    if (inbound >= l.max_inbound)
      return over("Max inbound connections reached", inbound, l.max_inbound);
  }
  if (l.max_per_ip > 0) {
    const auto same = static_cast<std::size_t>(
        std::count_if(connected.begin(), connected.end(),
                      [&](const ConnectedIp& c) { return c.ip.starts_with(ip); }));
    if (same >= l.max_per_ip) return over("Max connections per IP reached", same, l.max_per_ip);
  }
  if (l.max_new_inbound > 0) {
    prune(now);
    if (recent_.size() >= l.max_new_inbound)
      return "Connection rate limit exceeded: " + std::to_string(recent_.size()) +
             " connections in last minute";
  }
  return "";
}

}  // namespace ts::node
