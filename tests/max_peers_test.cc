// max_peers (VersionProfile::max_peers): what one dial pass reads. Expected values come from
// the source's constants, the same at every commit from ea701a4 to 49f500d:
//   max_peers = 50                                     config.rs, config.toml
//   reserved = (max_peers * 40 / 100).clamp(20, 30)    client.rs:57 at 505b8a3
//   PHASE1 / PHASE3-MN: masternodes.iter().take(reserved), the own IP skipped after `take`
//                                                      client.rs:123, :350
//   PHASE3-PEER: available = max_peers - connected_count; unique_peers.iter().take(available)
//                                                      client.rs:391-421
//   connected_count: distinct IPs, inbound and outbound connection_manager.rs:411
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "node_core/node.h"
#include "node_harness.h"

using namespace ts;
using namespace ts::node;

namespace {

constexpr const char* kSelf = "10.9.9.9";

std::vector<std::string> addresses(int n, const char* prefix) {
  std::vector<std::string> r;
  for (int i = 1; i <= n; ++i)
    r.push_back(std::string(prefix) + std::to_string(i));
  return r;
}

struct PassHarness : test::NodeHarness {
  PassHarness(NodeConfig cfg, const VersionProfile& p, std::uint64_t seed = 1)
      : NodeHarness(std::move(cfg), p, seed) {}

  // The IPs dialled by the pass under way: the outputs already there, then one 100 ms step
  // after another until a step dials nothing.
  std::vector<std::string> dials_until_pass_ends() {
    std::vector<std::string> dialled;
    for (int step = 0; step < 1000; ++step) {
      SimTime next = kNever;
      for (const auto& o : out) {
        if (const auto* d = std::get_if<Dial>(&o))
          dialled.push_back(node.config().peers[d->peer].ip);
        if (const auto* t = std::get_if<SetTimer>(&o); t && t->id.kind == TimerKind::kPassStep)
          next = t->at;
      }
      if (next == kNever) break;
      feed(next, TimerFired{{TimerKind::kPassStep, 0}});
    }
    return dialled;
  }
  std::vector<std::string> periodic_pass(SimTime at) {
    feed(at, TimerFired{{TimerKind::kRedialPass, 0}});
    return dials_until_pass_ends();
  }
};

VersionProfile both_dial(std::uint32_t max_peers) {
  VersionProfile p = *find_profile("post-fix");
  p.dial_rule = DialRule::kBoth;  // every entry is one this node dials
  p.max_peers = max_peers;
  return p;
}

// A node with no seeds that learns `learned` addresses from the one dialer it accepts, then
// runs its first periodic pass: returns how many candidates that pass dials.
std::size_t learned_dialled(std::uint32_t max_peers, int learned) {
  const auto names = addresses(learned, "10.1.0.");
  std::vector<std::string> hosts = names;  // outlives the node, which keeps a pointer
  hosts.push_back("10.0.0.1");
  std::sort(hosts.begin(), hosts.end());
  NodeConfig cfg = test::node_config(kSelf);
  cfg.dialable_ips = &hosts;
  PassHarness h(cfg, both_dial(max_peers));
  h.feed(0, Start{});
  h.feed(seconds(1), Connected{1, Direction::kInbound, 0, "10.0.0.1", 50000});
  h.feed(seconds(1), BytesIn{1, encode(Handshake{kMagic, 1, "mainnet"})});
  PeersResponse r;
  for (const auto& n : names)
    r.peers.push_back(n + ":24100");
  h.feed(seconds(2), BytesIn{1, encode(r)});
  REQUIRE(h.node.config().peers.size() == names.size());
  const auto dialled = h.periodic_pass(seconds(120));
  // Every dial is of a learned candidate, in list order.
  for (std::size_t i = 0; i < dialled.size(); ++i)
    CHECK(dialled[i] == names[i]);
  return dialled.size();
}

}  // namespace

TEST_CASE("max_peers: the peer branch reads max_peers - connected entries of the peer list") {
  // One connection (the inbound dialer, handshaken) is open: 50 - 1 entries are read.
  CHECK(learned_dialled(50, 70) == 49);
  CHECK(learned_dialled(30, 70) == 29);
  CHECK(learned_dialled(50, 20) == 20);  // fewer candidates than slots: all of them
  CHECK(learned_dialled(1, 70) == 0);    // the one slot is the open connection
}

TEST_CASE("max_peers: the masternode branches read the first reserved registry entries") {
  // 40 registered masternodes (the registry database) plus the node itself; every one is a
  // seed and a masternode (registry-all), so the peer branch skips them all.
  const auto mns = addresses(40, "10.2.0.");
  for (const std::uint32_t max_peers : {10u, 50u, 75u, 100u}) {
    const std::size_t reserved = std::clamp<std::uint32_t>(max_peers * 40 / 100, 20, 30);
    CAPTURE(max_peers);
    std::set<std::string> across_seeds;
    bool self_took_a_slot = false;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      VersionProfile p = both_dial(max_peers);
      p.gossip.masternode_peers = MasternodePeers::kRegistryAll;
      p.consensus.remove_after_ns = 0;
      NodeConfig cfg = test::node_config(kSelf, mns);
      cfg.clock_epoch_unix_s = 1766106000;
      cfg.consensus = true;
      cfg.registry_on_disk = mns;
      PassHarness h(cfg, p, seed);
      h.feed(0, Start{});
      const auto startup = h.dials_until_pass_ends();
      // The own IP is one of the list's entries: `take` then leaves reserved - 1 to dial.
      CHECK((startup.size() == reserved || startup.size() == reserved - 1));
      self_took_a_slot |= startup.size() == reserved - 1;
      across_seeds.insert(startup.begin(), startup.end());
      // The periodic pass reads the same map order: every one is still dialling, so the
      // same entries are read and none is dialled again; the other masternodes never are.
      CHECK(h.periodic_pass(seconds(120)).empty());
    }
    CHECK(self_took_a_slot);
    // Which entries come first is the registry's HashMap order, a per-process key.
    CHECK(across_seeds.size() > reserved);
  }
}
