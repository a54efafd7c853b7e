#include "node_core/blacklist.h"

#include <algorithm>

namespace ts::node {

void IpBlacklist::set_whitelist(std::vector<std::string> ips) {
  std::sort(ips.begin(), ips.end());
  ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
  whitelist_ = std::move(ips);
  // add_to_whitelist also drops the IP's bans and violation record (blacklist.rs).
  if (policy_->whitelist_exempt)
    for (const auto& ip : whitelist_)
      by_ip_.erase(ip);
}

bool IpBlacklist::exempt(const std::string& ip) const {
  return policy_->whitelist_exempt && std::binary_search(whitelist_.begin(), whitelist_.end(), ip);
}

IpBlacklist::Verdict IpBlacklist::record_violation(const std::string& ip, SimTime now) {
  if (exempt(ip)) return Verdict{};  // "Ignoring violation for whitelisted IP": not counted
  Entry& e = by_ip_[ip];
  // blacklist.rs: a new record starts at 0; one whose last violation is more than the
  // memory old restarts at 0 (its 24 h cleanup removes only records the reset covers).
  if (e.count > 0 && now - e.last_violation > policy_->violation_memory_ns) e.count = 0;
  ++e.count;
  e.last_violation = now;
  Verdict v;
  v.count = e.count;
  std::uint32_t last_step = 0;
  for (const BanStep& step : policy_->ladder) {
    if (step.violations == 0) continue;  // unused ladder entry
    last_step = std::max(last_step, step.violations);
    if (step.violations != e.count) continue;
    v.disconnect = v.banned = true;
    v.ban_ns = step.ban_ns;
    if (step.ban_ns == kNever)
      e.banned_until = kNever;
    else if (e.banned_until != kNever)  // a temporary ban replaces the one before
      e.banned_until = add_sat(now, step.ban_ns);
  }
  // Past the last step (upstream: "already permanently banned") every violation disconnects.
  if (last_step > 0 && e.count > last_step) v.disconnect = true;
  return v;
}

bool IpBlacklist::is_banned(const std::string& ip, SimTime now) const {
  if (exempt(ip)) return false;  // "Whitelisted IPs are never blacklisted"
  const auto it = by_ip_.find(ip);
  return it != by_ip_.end() && now < it->second.banned_until;
}

}  // namespace ts::node
