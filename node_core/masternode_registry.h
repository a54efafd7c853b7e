// MasternodeRegistry: the masternodes one node knows and when it last heard from each.
//
// A masternode is active while its last heartbeat is at most `offline_after` old (180 s in
// the real node). The node's own entry is refreshed by its own heartbeat timer. Entries are
// kept sorted by address, so the active set comes out in the order leader selection uses.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace ts::node {

class MasternodeRegistry {
 public:
  // Records a heartbeat (or a registration) from `address` at `now`.
  void seen(std::string_view address, SimTime now) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), address,
                               [](const Entry& e, std::string_view a) { return e.address < a; });
    if (it != entries_.end() && it->address == address) {
      it->last_seen = std::max(it->last_seen, now);
      return;
    }
    entries_.insert(it, Entry{std::string(address), now});
  }

  // Addresses active at `now`, ascending.
  void active(SimTime now, Duration offline_after, std::vector<std::string_view>& out) const {
    out.clear();
    for (const auto& e : entries_)
      if (now - e.last_seen <= offline_after) out.push_back(e.address);
  }
  std::size_t active_count(SimTime now, Duration offline_after) const {
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(),
                      [&](const Entry& e) { return now - e.last_seen <= offline_after; }));
  }
  std::size_t known() const { return entries_.size(); }

 private:
  struct Entry {
    std::string address;
    SimTime last_seen;
  };
  std::vector<Entry> entries_;
};

}  // namespace ts::node
