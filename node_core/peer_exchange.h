// PeerExchange: the dial-candidate list that peer exchange feeds, for one node process.
//
// The node's peer list (NodeConfig::peers) starts as the seed list, entries [0, seeds): the
// addresses the HTTP discovery API gives (upstream re-adds them every hour, so the model
// keeps them for good). A PeersResponse appends the addresses it names that the list lacks
// (add_peer_candidate, peer_manager.rs:105-123 at ea701a4); such a learned entry is a dial
// candidate - read by the next periodic pass (get_all_peers, client.rs:284) and named in
// GetPeers answers - until the next purge tick, when cleanup_stale_peers drops it
// (peer_manager.rs:290-310: its last_seen stays 0). A dropped entry keeps its index (the
// node's slots and connections refer to entries by index) and is a candidate again if a
// later PeersResponse names it. Ticks are at start + k * purge_interval (the first, at the
// start, finds nothing to drop); the timer is armed only while something is listed, so a
// node that never learns an address sets no timer at all.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "node_core/pex_policy.h"

namespace ts::node {

// The IP of a PeersResponse entry, "ip:port" or "ip": the text before the last ':'
// (client.rs:155-159 at ea701a4; the dial uses the network's port, not the one given).
std::string_view candidate_ip(std::string_view address);

class PeerExchange {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  explicit PeerExchange(const PexPolicy& policy) : policy_(&policy) {}

  // The process starts at `now` with `seeds` entries in its peer list and nothing learned.
  void start(SimTime now, std::uint32_t seeds);
  // Whether a PeersResponse on an inbound (listener) or outbound (dialer) connection is used.
  bool learns(bool inbound) const {
    return inbound ? policy_->listener_learns : policy_->dialer_learns;
  }
  // Whether entry `peer` was learned (not a seed).
  bool learned(std::uint32_t peer) const { return peer >= seeds_; }
  // Whether entry `peer` is a dial candidate now: a seed, or learned and not dropped since.
  bool listed(std::uint32_t peer) const {
    return peer < seeds_ || (peer - seeds_ < listed_.size() && listed_[peer - seeds_] != 0);
  }

  // The entry of the `count`-entry peer list whose IP is `ip`, or kNone. `ip_of(i)` is
  // entry i's IP. The index behind it is built at the first call (O(count log count)).
  template <typename IpOf>
  std::uint32_t find(std::string_view ip, std::uint32_t count, const IpOf& ip_of);
  // Entry `peer` (learned, == the list's size before) was appended with IP `ip`.
  template <typename IpOf>
  void appended(std::uint32_t peer, std::string_view ip, const IpOf& ip_of);

  // Learned entry `peer` was named by a PeersResponse at `now`: a candidate until the next
  // tick. Returns the time the purge timer must be set to, or kNever if it is set already
  // (or purge_interval is 0: never dropped).
  SimTime list(SimTime now, std::uint32_t peer);
  // When the armed purge tick is due (kNever: none armed).
  SimTime purge_at() const { return purge_at_; }
  // The tick at purge_at(): every learned entry stops being a candidate. Returns how many.
  std::uint32_t purge();

 private:
  const PexPolicy* policy_;
  SimTime started_ = 0;
  SimTime purge_at_ = kNever;
  std::uint32_t seeds_ = 0;
  std::vector<std::uint8_t> listed_;  // per learned entry (index - seeds_): a candidate now
  std::vector<std::uint32_t> by_ip_;  // entries sorted by IP; empty until the first find()
};

template <typename IpOf>
std::uint32_t PeerExchange::find(std::string_view ip, std::uint32_t count, const IpOf& ip_of) {
  if (by_ip_.size() != count) {  // first use (entries are only ever appended through us)
    by_ip_.resize(count);
    for (std::uint32_t i = 0; i < count; ++i)
      by_ip_[i] = i;
    std::stable_sort(by_ip_.begin(), by_ip_.end(), [&](std::uint32_t a, std::uint32_t b) {
      return std::string_view(ip_of(a)) < std::string_view(ip_of(b));
    });
  }
  const auto it = std::lower_bound(
      by_ip_.begin(), by_ip_.end(), ip,
      [&](std::uint32_t e, std::string_view v) { return std::string_view(ip_of(e)) < v; });
  return it != by_ip_.end() && std::string_view(ip_of(*it)) == ip ? *it : kNone;
}

template <typename IpOf>
void PeerExchange::appended(std::uint32_t peer, std::string_view ip, const IpOf& ip_of) {
  const auto it = std::upper_bound(
      by_ip_.begin(), by_ip_.end(), ip,
      [&](std::string_view v, std::uint32_t e) { return v < std::string_view(ip_of(e)); });
  by_ip_.insert(it, peer);
  if (listed_.size() < peer - seeds_ + 1) listed_.resize(peer - seeds_ + 1, 0);
}

}  // namespace ts::node
