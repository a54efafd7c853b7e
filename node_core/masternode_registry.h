// MasternodeRegistry: the masternodes one node has registered and when it last heard each.
//
// Upstream (masternode_registry.rs at 31ad283) keeps a HashMap of entries with a
// last_heartbeat and an is_active flag. A heartbeat sets both (heartbeat(),
// receive_heartbeat_broadcast(); an address not in the map is ignored). A monitor task
// ticks every 120 s from start-up, first tick at once (tokio interval): an active entry
// silent for more than 180 s is marked offline; an entry already offline at a tick and
// silent for more than 3600 s is removed. So an entry goes offline 180-300 s after its
// last heartbeat and is removed at a later tick.
//
// Between heartbeats an entry's state is a pure function of its last heartbeat and the
// tick grid, so the model computes it at each read instead of running the monitor. With
// check interval 0 (hypothetical profile) an entry is active while silent for at most
// offline_after and is never removed.
//
// The eligible list comes out in HashMap iteration order, which in Rust depends on a
// per-process random key: the model orders entries by a keyed hash of the address
// (mix_seed(key, FNV-1a(address))) with a key the node draws once per process
// (docs/consensus.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/prng.h"
#include "common/time.h"
#include "node_core/chain.h"

namespace ts::node {

class MasternodeRegistry {
 public:
  struct Policy {
    Duration offline_after_ns = seconds(180);
    Duration check_interval_ns = seconds(120);  // 0: state judged at every read
    Duration remove_after_ns = seconds(3600);   // 0: never removed
  };

  MasternodeRegistry() = default;
  // `origin`: the monitor's first tick (the node's start); `order_key`: the per-process
  // HashMap key.
  MasternodeRegistry(Policy policy, SimTime origin, std::uint64_t order_key)
      : policy_(policy), origin_(origin), order_key_(order_key) {}

  // Registers `address` (or refreshes it, as upstream's register() does) at `now`.
  void register_at(std::string_view address, SimTime now) {
    drop_removed(now);
    if (Entry* e = find(address)) {
      e->last_seen = std::max(e->last_seen, now);
      e->disconnected = false;
      return;
    }
    Entry e{std::string(address), now, rank(address), false};
    earliest_removal_ = std::min(earliest_removal_, removal_at(e));
    auto at = std::lower_bound(entries_.begin(), entries_.end(), e, by_rank);
    entries_.insert(at, std::move(e));
  }
  // A heartbeat from `address`; false (ignored) if it is not registered.
  bool heartbeat(std::string_view address, SimTime now) {
    drop_removed(now);
    Entry* e = find(address);
    if (!e) return false;
    e->last_seen = std::max(e->last_seen, now);
    e->disconnected = false;
    return true;
  }
  // mark_inactive_on_disconnect (126d7ee): inactive until its next heartbeat or
  // registration; the monitor's removal timeline is unchanged. False if not registered.
  bool mark_inactive(std::string_view address, SimTime now) {
    drop_removed(now);
    Entry* e = find(address);
    if (!e) return false;
    e->disconnected = true;
    return true;
  }

  bool is_registered(std::string_view address, SimTime now) const {
    const Entry* e = find(address);
    return e && !removed(*e, now);
  }
  bool is_active(std::string_view address, SimTime now) const {
    const Entry* e = find(address);
    return e && active(*e, now);
  }
  // Every registered address at `now` (active or offline), in the node's HashMap order.
  void registered_in_map_order(SimTime now, std::vector<std::string_view>& out) const {
    out.clear();
    for (const auto& e : entries_)
      if (!removed(e, now)) out.push_back(e.address);
  }
  // Active addresses at `now` in the node's HashMap order.
  void active_in_map_order(SimTime now, std::vector<std::string_view>& out) const {
    out.clear();
    for (const auto& e : entries_)
      if (active(e, now)) out.push_back(e.address);
  }
  // Active addresses at `now`, ascending.
  void active_sorted(SimTime now, std::vector<std::string_view>& out) const {
    active_in_map_order(now, out);
    std::sort(out.begin(), out.end());
  }
  std::size_t active_count(SimTime now) const {
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(),
                                                  [&](const Entry& e) { return active(e, now); }));
  }
  // Registered (active or offline, not yet removed) at `now`.
  std::size_t registered(SimTime now) const {
    return static_cast<std::size_t>(std::count_if(
        entries_.begin(), entries_.end(), [&](const Entry& e) { return !removed(e, now); }));
  }

 private:
  struct Entry {
    std::string address;
    SimTime last_seen;
    std::uint64_t rank;         // HashMap position
    bool disconnected = false;  // marked inactive by mark_inactive()
  };
  static bool by_rank(const Entry& a, const Entry& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.address < b.address;
  }
  std::uint64_t rank(std::string_view address) const {
    Fnv1a h;
    h.add(address);
    return mix_seed(order_key_, h.value());  // a full-avalanche mix: FNV's last byte is weak
  }
  // entries_ is sorted by (rank, address): a binary search on the address's rank.
  Entry* find(std::string_view address) {
    const std::uint64_t r = rank(address);
    auto it = std::lower_bound(entries_.begin(), entries_.end(), r,
                               [](const Entry& e, std::uint64_t key) { return e.rank < key; });
    for (; it != entries_.end() && it->rank == r; ++it)
      if (it->address == address) return &*it;
    return nullptr;
  }
  const Entry* find(std::string_view address) const {
    return const_cast<MasternodeRegistry*>(this)->find(address);
  }
  // The first monitor tick strictly after `t` (ticks at origin + k * interval, k >= 0).
  SimTime first_tick_after(SimTime t) const {
    if (t < origin_) return origin_;
    return origin_ + ((t - origin_) / policy_.check_interval_ns + 1) * policy_.check_interval_ns;
  }
  // The tick that marks `e` offline (kNever with check interval 0).
  SimTime offline_tick(const Entry& e) const {
    return first_tick_after(e.last_seen + policy_.offline_after_ns);
  }
  bool active(const Entry& e, SimTime now) const {
    if (e.disconnected) return false;
    if (policy_.check_interval_ns == 0) return now - e.last_seen <= policy_.offline_after_ns;
    return now < offline_tick(e);
  }
  // When `e` is removed: at the first tick after the offline tick that is more than
  // remove_after past the last heartbeat (kNever if entries are never removed).
  SimTime removal_at(const Entry& e) const {
    if (policy_.remove_after_ns == 0 || policy_.check_interval_ns == 0) return kNever;
    const SimTime off = offline_tick(e);
    return std::max(first_tick_after(off), first_tick_after(e.last_seen + policy_.remove_after_ns));
  }
  bool removed(const Entry& e, SimTime now) const { return now >= removal_at(e); }
  // earliest_removal_ is a lower bound on every entry's removal_at (last_seen only grows,
  // so removal times only move later): no scan is needed before it.
  void drop_removed(SimTime now) {
    if (now < earliest_removal_) return;
    std::erase_if(entries_, [&](const Entry& e) { return removed(e, now); });
    earliest_removal_ = kNever;
    for (const auto& e : entries_)
      earliest_removal_ = std::min(earliest_removal_, removal_at(e));
  }

  Policy policy_;
  SimTime origin_ = 0;
  std::uint64_t order_key_ = 0;
  std::vector<Entry> entries_;  // by rank: the HashMap's iteration order
  SimTime earliest_removal_ = kNever;
};

}  // namespace ts::node
