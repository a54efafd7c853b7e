#include "real/address_plan.h"

#include <algorithm>
#include <numeric>

#include "scenario/topology.h"

namespace ts::real {

bool kit_has_commit(std::string_view commit) {
  return commit == "ea701a4" || commit == "b5513be" || commit == "31ad283";
}

namespace {
Result<bool> check_runnable(const sim::Scenario& sc) {
  if (sc.nodes.empty()) return Error{"the scenario has no nodes"};
  if (sc.nodes.size() > kMaxRealNodes)
    return Error{"real nodes: at most " + std::to_string(kMaxRealNodes) + " nodes (127.0.0.100.." +
                 "254), the scenario has " + std::to_string(sc.nodes.size())};
  if (!sc.faults.empty() || sc.chaos.enabled)
    return Error{"real nodes: faults and chaos are not applied to real nodes; remove them"};
  for (const auto& n : sc.nodes) {
    if (!kit_has_commit(n.profile->commit))
      return Error{"real nodes: node " + n.ip + " runs version '" + std::string(n.profile->name) +
                   "' (commit " + std::string(n.profile->commit) +
                   "); the realnode kit packages only ea701a4, b5513be and 31ad283"};
    if (n.start_ns != 0)
      return Error{"real nodes: node " + n.ip + " starts late; real runs start every node at once"};
  }
  return true;
}
}  // namespace

Result<RealPlan> plan_real_run(const sim::Scenario& sc) {
  if (auto ok = check_runnable(sc); !ok) return ok.error();
  const auto n = static_cast<std::uint32_t>(sc.nodes.size());
  std::vector<std::uint32_t> by_ip(n);
  std::iota(by_ip.begin(), by_ip.end(), 0u);
  std::sort(by_ip.begin(), by_ip.end(),
            [&](std::uint32_t a, std::uint32_t b) { return sc.nodes[a].ip < sc.nodes[b].ip; });
  RealPlan p;
  p.nodes.resize(n);
  for (std::uint32_t r = 0; r < n; ++r) {
    const auto i = by_ip[r];
    const auto& spec = sc.nodes[i];
    p.nodes[i] = PlannedNode{i, spec.ip, "127.0.0." + std::to_string(100 + r),
                             std::string(spec.profile->name), std::string(spec.profile->commit)};
  }
  const auto peers = sim::build_topology(sc.topology, n, sc.seed);
  for (std::uint32_t i = 0; i < n; ++i) {
    p.full_mesh = p.full_mesh && peers[i].size() + 1 == n;
    for (std::uint32_t j : peers[i])
      if (sc.nodes[i].ip < sc.nodes[j].ip) p.dials.push_back({i, j});
  }
  std::sort(p.dials.begin(), p.dials.end(), [](const PlannedDial& a, const PlannedDial& b) {
    return a.dialer != b.dialer ? a.dialer < b.dialer : a.listener < b.listener;
  });
  p.dials.erase(std::unique(p.dials.begin(), p.dials.end(),
                            [](const PlannedDial& a, const PlannedDial& b) {
                              return a.dialer == b.dialer && a.listener == b.listener;
                            }),
                p.dials.end());
  return p;
}

Result<bool> mark_model_nodes(RealPlan& p, const sim::Scenario& sc, const std::string& list) {
  std::size_t from = 0, marked = 0;
  while (from <= list.size()) {
    const auto comma = std::min(list.find(',', from), list.size());
    const std::string name = list.substr(from, comma - from);
    from = comma + 1;
    if (name.empty()) return Error{"--model-nodes: empty name in '" + list.substr(0, 80) + "'"};
    std::int64_t hit = -1;
    for (std::uint32_t i = 0; i < sc.nodes.size(); ++i)
      if (sc.nodes[i].ip == name || sc.nodes[i].name == name) hit = i;
    if (hit < 0)
      return Error{"--model-nodes: no node '" + name.substr(0, 40) +
                   "' in the scenario (give scenario IPs or node names)"};
    auto& n = p.nodes[static_cast<std::size_t>(hit)];
    if (n.model) return Error{"--model-nodes: '" + name.substr(0, 40) + "' is named twice"};
    n.model = true;
    ++marked;
  }
  if (marked == p.nodes.size())
    return Error{
        "--model-nodes: every node would be a model node; keep at least one real node "
        "(`timesim live` runs all-model networks)"};
  return true;
}

std::int64_t node_of_loopback(const RealPlan& p, const std::string& ip) {
  for (const auto& n : p.nodes)
    if (n.loopback_ip == ip) return n.index;
  return -1;
}

}  // namespace ts::real
