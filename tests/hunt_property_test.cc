// The hunt property grammar (hunt/property.h): what parses, where errors point, and what a
// property says about real runs; and ddmin (hunt/ddmin.h) on known failure sets.
#include <doctest/doctest.h>

#include "hunt/ddmin.h"
#include "hunt/property.h"
#include "hunt/run_facts.h"
#include "test_util.h"

namespace ts {
namespace {

hunt::Locate cli_locate() {
  return [](std::size_t offset) { return "col " + std::to_string(offset + 1) + ": "; };
}

std::string parse_error(const std::string& text) {
  auto p = hunt::parse_property(text, cli_locate());
  REQUIRE_MESSAGE(!p.ok(), (std::string("parsed: ") + text));
  return p.error().message;
}

TEST_CASE("hunt property: the grammar parses sums of facts and numbers") {
  auto p = hunt::parse_property("blocks_committed >= slots - 1", cli_locate());
  REQUIRE(p.ok());
  CHECK_FALSE(p->is_sql);
  CHECK(p->op == hunt::CompareOp::kGe);
  REQUIRE(p->lhs.size() == 1);
  CHECK(p->lhs[0].fact == hunt::fact_index("blocks_committed"));
  REQUIRE(p->rhs.size() == 2);
  CHECK(p->rhs[0].fact == hunt::fact_index("slots"));
  CHECK(p->rhs[1].fact == -1);
  CHECK(p->rhs[1].negative);
  CHECK(p->rhs[1].number == 1);
  for (const char* ok : {"forked_heights == 0", "max_height_spread<=1", "-1 < cycling_links",
                         "connected_fraction > 0.95", "down_links != 2 + stable_links - 1"})
    CHECK_MESSAGE(hunt::parse_property(ok, cli_locate()).ok(), ok);
  CHECK(hunt::property_slug(*p) == "blocks-committed-slots-1");
}

TEST_CASE("hunt property: errors name the column") {
  CHECK(parse_error("blocks_comitted >= 1") ==
        "col 1: unknown name 'blocks_comitted' (did you mean 'blocks_committed'?)");
  CHECK(parse_error("slots > zzz") ==
        "col 9: unknown name 'zzz' (the run facts are listed in docs/hunt.md)");
  CHECK(parse_error("forked_heights = 0") == "col 16: '=' is not an operator: compare with '=='");
  CHECK(parse_error("forked_heights == ").rfind("col 19: expected a number or a name", 0) == 0);
  CHECK(parse_error("forked_heights == 0 x") == "col 21: unexpected 'x' after the property");
  CHECK(parse_error("forked_heights 0").rfind("col 16: expected a comparison", 0) == 0);
  CHECK(parse_error("slots >= 1.") == "col 12: expected digits after the decimal point");
  CHECK(parse_error("slots >= 1 - - 1").rfind("col 14: expected a number or a name, got '-'", 0) ==
        0);
  CHECK(parse_error("   ") == "col 1: empty property");
  CHECK(parse_error("Slots > 1").rfind("col 1: expected a number or a name, got 'S'", 0) == 0);
}

TEST_CASE("hunt property: sql must be one read-only query over the results schema") {
  auto p = hunt::parse_property("sql: SELECT node FROM samples WHERE height > 1", cli_locate());
  REQUIRE(p.ok());
  CHECK(p->is_sql);
  CHECK(parse_error("sql: SELEC 1").rfind("col 6: sql: near \"SELEC\"", 0) == 0);
  CHECK(parse_error("sql: SELECT x FROM nowhere").find("no such table: nowhere") !=
        std::string::npos);
  CHECK(parse_error("sql: DELETE FROM runs") == "col 6: sql: must only read");
  CHECK(parse_error("sql: SELECT 1; SELECT 2") == "col 16: sql: one query only");
  CHECK(parse_error("sql:   ") == "col 5: sql: needs a query");
}

TEST_CASE("hunt property: scenario properties are located at file:line:col") {
  const std::string text =
      "nodes:\n  - {ip: 10.0.0.1, version: post-fix}\n  - {ip: 10.0.0.2, version: post-fix}\n"
      "properties:\n  - cycling_links == 0\n  - \"forked_heights = 0\"\n";
  auto sc = sim::parse_scenario(text, "t.yaml");
  REQUIRE(sc.ok());
  REQUIRE(sc->properties.size() == 2);
  auto ps = hunt::parse_scenario_properties("t.yaml", sc->properties);
  REQUIRE_FALSE(ps.ok());
  // Line 6, the text starts at column 6 (past `  - "`); '=' is its 16th byte.
  CHECK(ps.error().message == "t.yaml:6:21: property: '=' is not an operator: compare with '=='");
  auto sql = sim::parse_scenario(
      "nodes:\n  - {ip: 10.0.0.1, version: post-fix}\n"
      "properties:\n  - {sql: SELECT nope FROM runs}\n",
      "u.yaml");
  REQUIRE(sql.ok());
  auto bad = hunt::parse_scenario_properties("u.yaml", sql->properties);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.rfind("u.yaml:4:", 0) == 0);
  CHECK(bad.error().message.find("no such column: nope") != std::string::npos);
  CHECK_FALSE(sim::parse_scenario("nodes:\n  - {ip: 10.0.0.1, version: post-fix}\n"
                                  "properties: forked_heights == 0\n",
                                  "v.yaml")
                  .ok());
}

TEST_CASE("hunt property: evaluated on a consensus run") {
  // 30 min of the six hypothetical-ideal-consensus nodes, no faults: 600 s slots from an epoch on a
  // 600 s boundary give 3 slot boundaries; nothing forks.
  auto sc = test::load("topologies/six_nodes_hypothetical_ideal.yaml");
  const auto run = test::run(sc, 1, 30 * kMinute);
  auto holds = [&](const std::string& text) {
    auto p = hunt::parse_property(text, cli_locate());
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
    auto v = hunt::evaluate(*p, run.db(), 1);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
    CHECK(v->applicable);
    return !v->violated;
  };
  CHECK(holds("slots == 3"));
  CHECK_FALSE(holds("slots == 4"));
  CHECK(holds("nodes == 6"));
  // The full mesh of 6 (15 links), each held by one connection from the start.
  CHECK(holds("stable_links == 15"));
  CHECK(holds("cycling_links + flapping_links + down_links == 0"));
  CHECK(holds("connections == 15"));
  // Blocks at the 600 s and 1200 s slots; the 1800 s one is proposed as the run ends.
  CHECK(holds("max_height == slots - 1"));
  CHECK(holds("proposals == slots"));
  CHECK(holds("forked_heights == 0"));
  CHECK(holds("faults == 0"));
  const auto committed = run.scalar("SELECT count(DISTINCT height) FROM blocks");
  CHECK(holds("blocks_committed == " + std::to_string(committed)));
  CHECK_FALSE(holds("blocks_committed + 1 <= " + std::to_string(committed)));
  CHECK(holds("sql: SELECT 1 FROM blocks WHERE height > 1000"));
  CHECK_FALSE(holds("sql: SELECT node FROM samples WHERE run_id = ?1"));
}

// ddmin on a synthetic failure: the test knows the failure-inducing items.
hunt::Subset run_ddmin(std::size_t n, const std::function<bool(const hunt::Subset&)>& fails,
                       std::size_t* tests = nullptr) {
  hunt::Subset all;
  for (std::size_t i = 0; i < n; ++i)
    all.push_back(i);
  return hunt::ddmin(all, [&](const std::vector<hunt::Subset>& batch) {
    std::vector<bool> out;
    for (const auto& s : batch)
      out.push_back(fails(s));
    if (tests) *tests += batch.size();
    return out;
  });
}

bool contains(const hunt::Subset& s, std::size_t x) {
  return std::find(s.begin(), s.end(), x) != s.end();
}

TEST_CASE("ddmin: finds the exact failure-inducing set, 1-minimal") {
  auto needs_three = [](const hunt::Subset& s) {
    return contains(s, 3) && contains(s, 17) && contains(s, 22);
  };
  std::size_t tests = 0;
  CHECK(run_ddmin(30, needs_three, &tests) == hunt::Subset{3, 17, 22});
  CHECK(tests < 200);
  // Either of two items: one of them alone.
  const auto either =
      run_ddmin(24, [](const hunt::Subset& s) { return contains(s, 5) || contains(s, 19); });
  CHECK(either.size() == 1);
  // Two adjacent items at a chunk boundary.
  CHECK(run_ddmin(8, [](const hunt::Subset& s) { return contains(s, 3) && contains(s, 4); }) ==
        hunt::Subset{3, 4});
  CHECK(hunt::split({0, 1, 2, 3, 4}, 2) == std::vector<hunt::Subset>{{0, 1, 2}, {3, 4}});
}

}  // namespace
}  // namespace ts
