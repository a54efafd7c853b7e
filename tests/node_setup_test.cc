// driver/node_setup.h: the one NodeConfig construction both engines use.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "driver/host_index.h"
#include "driver/node_setup.h"
#include "test_util.h"

using namespace ts;

TEST_CASE("node_config: addresses, seed peers and whitelist from the address table") {
  std::ifstream in(test::source_path("topologies/six_nodes_postfix.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto plain = sim::parse_scenario(text, "six_nodes_postfix.yaml");
  REQUIRE(plain.ok());
  const std::vector<std::string> ips = sim::scenario_ips(*plain);
  REQUIRE(ips.size() >= 3);
  text += "whitelist: [" + ips[1] + ", 203.0.113.9]\n";
  auto sc = sim::parse_scenario(text, "six_nodes_postfix.yaml");
  REQUIRE(sc.ok());
  const sim::HostIndex hosts(ips);
  const std::vector<std::uint32_t> peers = {1, 2};

  SUBCASE("the scenario's addresses (sim, live)") {
    const node::NodeConfig cfg = sim::node_config(*sc, 0, peers, ips, hosts);
    CHECK(cfg.ip == ips[0]);
    REQUIRE(cfg.peers.size() == 2);
    CHECK(cfg.peers[0].ip == ips[1]);
    CHECK(cfg.peers[1].ip == ips[2]);
    CHECK(cfg.whitelist == std::vector<std::string>{ips[1], "203.0.113.9"});
    CHECK(cfg.dialable_ips == &hosts.sorted());
  }
  SUBCASE("the wire's addresses (mixed live runs): a whitelisted node at its wire address") {
    std::vector<std::string> wire;
    for (std::size_t i = 0; i < ips.size(); ++i)
      wire.push_back("127.0.0." + std::to_string(i + 2));
    const node::NodeConfig cfg = sim::node_config(*sc, 0, peers, wire, hosts);
    CHECK(cfg.ip == "127.0.0.2");
    CHECK(cfg.peers[0].ip == "127.0.0.3");
    CHECK(cfg.whitelist == std::vector<std::string>{"127.0.0.3", "203.0.113.9"});
  }
}
