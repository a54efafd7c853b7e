// `timesim regress`: baselines re-run statistically and by exact event-trace fingerprint.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/run_cli.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace ts;

TEST_CASE("regress: --update stores results - a re-run passes - changed results fail") {
  const auto dir = test::fresh_dir("regress");
  const json base = {{"scenario", test::source_path("topologies/six_nodes.yaml")},
                     {"version", nullptr},
                     {"duration", "10m"},
                     {"seeds", {{"base", 5}, {"count", 4}}},
                     {"fail_if", {"churn_per_link_hour > +5%", "connected_fraction < -2%"}}};
  auto write = [&](const json& j) { std::ofstream(dir / "b.json") << j.dump(2); };
  write(base);
  // Without stored results: bad input.
  CHECK(test::timesim("regress b.json", dir).exit_code == 2);
  auto up = test::timesim("regress --update b.json --jobs 2", dir);
  INFO(up.out << up.err);
  REQUIRE(up.exit_code == 0);
  json stored = json::parse(test::slurp(dir / "b.json"));
  REQUIRE(stored["fingerprints"].size() == 4);
  CHECK(stored["fingerprints"]["5"].get<std::string>().size() == 16);
  CHECK(stored["metrics"]["churn_per_link_hour"]["n"] == 4);
  CHECK_FALSE(stored["metrics"].contains("reconnect_after_fault_s"));  // n/a: not stored

  auto again = test::timesim("regress b.json --jobs 2", dir);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("fingerprints: 4/4 unchanged") != std::string::npos);

  // A changed event trace is caught even when the statistics still agree.
  json fp = stored;
  fp["fingerprints"]["6"] = "0000000000000000";
  write(fp);
  auto changed = test::timesim("regress b.json --jobs 2", dir);
  CHECK(changed.exit_code == 1);
  CHECK(changed.out.find("fingerprint CHANGED for seed 6") != std::string::npos);
  CHECK(test::timesim("regress b.json --jobs 2 --no-fingerprint", dir).exit_code == 0);

  // A baseline that was much better than today's runs: churn is now past +5 %.
  json better = stored;
  better["metrics"]["churn_per_link_hour"]["mean"] =
      stored["metrics"]["churn_per_link_hour"]["mean"].get<double>() / 2;
  write(better);
  auto regressed = test::timesim("regress b.json --jobs 2 --no-fingerprint", dir);
  CHECK(regressed.exit_code == 1);
  CHECK(regressed.out.find("REGRESSION") != std::string::npos);

  // Bad baselines: exit 2.
  std::ofstream(dir / "bad.json") << "{not json";
  CHECK(test::timesim("regress bad.json", dir).exit_code == 2);
  json unknown = base;
  unknown["fail_if"] = {"nonesuch > 1%"};
  std::ofstream(dir / "bad2.json") << unknown.dump();
  CHECK(test::timesim("regress bad2.json", dir).exit_code == 2);
}

TEST_CASE("regress: the committed baselines are well-formed") {
  for (const char* name : {"six_nodes", "six_nodes_prefix", "six_nodes_postfix"}) {
    CAPTURE(name);
    const auto j = json::parse(
        test::slurp(test::source_path(std::string("results/baselines/") + name + ".json")));
    CHECK(j["seeds"]["count"].get<int>() >= 10);
    CHECK(j["fingerprints"].size() == j["seeds"]["count"].get<std::size_t>());
    CHECK(j["metrics"].contains("churn_per_link_hour"));
    CHECK_FALSE(j["fail_if"].empty());
  }
}
