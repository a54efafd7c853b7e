// HostIndex: a run's node addresses, sorted, for resolving an address a node learned by peer
// exchange (node::NodeConfig::dialable_ips) to the node behind it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

namespace ts::sim {

class HostIndex {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  HostIndex() = default;
  // `ips[i]` is node i's address (distinct: the scenario loader checks).
  explicit HostIndex(const std::vector<std::string>& ips) {
    std::vector<std::uint32_t> order(ips.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return ips[a] < ips[b]; });
    for (const std::uint32_t i : order) {
      sorted_.push_back(ips[i]);
      nodes_.push_back(i);
    }
  }
  // The sorted addresses (NodeConfig::dialable_ips).
  const std::vector<std::string>& sorted() const { return sorted_; }
  // The node at `ip`, or kNone.
  std::uint32_t node_of(std::string_view ip) const {
    const auto it = std::lower_bound(sorted_.begin(), sorted_.end(), ip);
    return it != sorted_.end() && *it == ip ? nodes_[static_cast<std::size_t>(it - sorted_.begin())]
                                            : kNone;
  }

 private:
  std::vector<std::string> sorted_;
  std::vector<std::uint32_t> nodes_;  // parallel to sorted_
};

}  // namespace ts::sim
