// IpBlacklist: the listener's per-IP misbehaviour record (upstream blacklist.rs, one per
// node, shared by all of its inbound connections).
//
// A violation raises the remote IP's count; a violation that comes more than
// `violation_memory_ns` after the IP's previous one restarts the count at 1. Reaching a
// step of the policy's ladder bans the IP for that step's duration (kNever: for good); the
// ban is checked only when a connection is accepted. Every count at a step, or past the
// last step, tells the caller to disconnect. Times are the node's monotonic `now` (ns).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/time.h"
#include "node_core/version_profile.h"

namespace ts::node {

class IpBlacklist {
 public:
  explicit IpBlacklist(const BlacklistPolicy& policy) : policy_(&policy) {}

  struct Verdict {
    std::uint32_t count = 0;  // the IP's violations after this one
    bool disconnect = false;  // the caller closes the connection
    bool banned = false;      // this violation started a ban
    Duration ban_ns = 0;      // banned: its length; kNever = permanent
  };
  Verdict record_violation(const std::string& ip, SimTime now);
  // Whether a connection from `ip` accepted at `now` is dropped at once.
  bool is_banned(const std::string& ip, SimTime now) const;
  // The whitelisted IPs (replacing any earlier list). Under policy.whitelist_exempt
  // (a875f42) their violations are not counted and they are never banned; setting the list
  // then also forgets their records. Without the switch the list changes nothing.
  void set_whitelist(std::vector<std::string> ips);

 private:
  struct Entry {
    std::uint32_t count = 0;
    SimTime last_violation = 0;
    SimTime banned_until = 0;  // kNever: permanent; <= now: not banned
  };
  bool exempt(const std::string& ip) const;

  const BlacklistPolicy* policy_;
  std::vector<std::string> whitelist_;  // sorted, unique
  std::map<std::string, Entry> by_ip_;  // ordered: nothing here depends on hash order
};

}  // namespace ts::node
