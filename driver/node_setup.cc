#include "driver/node_setup.h"

#include "common/streams.h"
#include "store/profile_rows.h"

namespace ts::sim {

node::NodeConfig node_config(const Scenario& sc, std::uint32_t n,
                             const std::vector<std::uint32_t>& peer_node,
                             const std::vector<std::string>& ips, const HostIndex& hosts) {
  const auto& spec = sc.nodes[n];
  node::NodeConfig cfg;
  cfg.ip = ips[n];
  cfg.clock_epoch_unix_s = sc.epoch_unix_s;
  cfg.peers.reserve(peer_node.size());
  for (std::uint32_t j : peer_node)
    cfg.peers.push_back(node::PeerAddr{ips[j], node::kTestnetPort});
  for (const std::string& ip : spec.has_whitelist ? spec.whitelist : sc.whitelist) {
    const std::uint32_t j = hosts.node_of(ip);
    cfg.whitelist.push_back(j == HostIndex::kNone ? ip : ips[j]);
  }
  cfg.dialable_ips = &hosts.sorted();
  cfg.consensus = sc.consensus.enabled;
  if (sc.consensus.quorum_of_active) cfg.quorum_base = node::NodeConfig::QuorumBase::kActive;
  return cfg;
}

std::uint64_t node_process_seed(std::uint64_t run_seed, std::uint32_t n,
                                std::uint32_t incarnation) {
  return mix_seed(mix_seed(run_seed, stream_id(Stream::kNodes)),
                  (std::uint64_t{incarnation} << 32) | n);
}

std::vector<std::string> scenario_ips(const Scenario& sc) {
  std::vector<std::string> ips;
  ips.reserve(sc.nodes.size());
  for (const auto& spec : sc.nodes)
    ips.push_back(spec.ip);
  return ips;
}

Result<bool> record_setup(Recorder& rec, const Scenario& sc, const std::vector<Fault>& faults) {
  std::vector<std::string> names;
  names.reserve(sc.nodes.size());
  for (const auto& spec : sc.nodes)
    names.push_back(spec.name);
  for (const Fault& f : faults) {
    auto ok = rec.add_fault(f.id, fault_kind_name(f.kind), f.describe_targets(names), f.start_ns,
                            f.end_ns, f.describe_params(), f.source, f.to_yaml(names));
    if (!ok) return ok.error();
  }
  for (std::uint32_t i = 0; i < sc.nodes.size(); ++i) {
    const auto& spec = sc.nodes[i];
    auto ok = rec.add_node(i, spec.name, spec.ip, spec.profile->name, spec.profile->commit,
                           spec.start_ns, spec.region);
    if (!ok) return ok.error();
  }
  return record_profiles(rec, sc);
}

}  // namespace ts::sim
