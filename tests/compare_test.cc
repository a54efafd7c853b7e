// Statistics, run metrics and `timesim compare`: the acceptance cases of issue 6.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/compare.h"
#include "analysis/metrics.h"
#include "analysis/stats.h"
#include "tests/run_cli.h"
#include "tests/test_util.h"

using namespace ts;
using nlohmann::json;

TEST_CASE("stats: Student t quantiles match the tables") {
  // Two-sided 95 % critical values from any t table.
  CHECK(analysis::student_t_quantile(0.975, 1) == doctest::Approx(12.706).epsilon(1e-4));
  CHECK(analysis::student_t_quantile(0.975, 2) == doctest::Approx(4.303).epsilon(1e-4));
  CHECK(analysis::student_t_quantile(0.975, 10) == doctest::Approx(2.228).epsilon(1e-4));
  CHECK(analysis::student_t_quantile(0.975, 19) == doctest::Approx(2.093).epsilon(1e-4));
  CHECK(analysis::student_t_quantile(0.975, 30) == doctest::Approx(2.042).epsilon(1e-4));
  CHECK(analysis::student_t_quantile(0.975, 1e6) == doctest::Approx(1.960).epsilon(1e-4));
  CHECK(analysis::student_t_quantile(0.025, 10) == doctest::Approx(-2.228).epsilon(1e-4));
  CHECK(analysis::student_t_cdf(0, 5) == doctest::Approx(0.5));
  // Six-digit table values (NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
  CHECK(analysis::student_t_quantile(0.975, 10) == doctest::Approx(2.228139).epsilon(1e-6));
  CHECK(analysis::student_t_quantile(0.995, 5) == doctest::Approx(4.032143).epsilon(1e-6));
  CHECK(analysis::student_t_quantile(0.95, 3) == doctest::Approx(2.353363).epsilon(1e-6));
  CHECK(analysis::student_t_quantile(0.90, 1) == doctest::Approx(3.077684).epsilon(1e-6));
  CHECK(analysis::student_t_cdf(2.228139, 10) == doctest::Approx(0.975).epsilon(1e-6));
  // Fractional degrees of freedom (Welch): between the neighbouring integer rows.
  const double t75 = analysis::student_t_quantile(0.975, 7.5);
  CHECK(t75 < analysis::student_t_quantile(0.975, 7));
  CHECK(t75 > analysis::student_t_quantile(0.975, 8));
}

TEST_CASE("metrics: the table is addressed by name") {
  analysis::RunMetrics m;
  m.values.assign(analysis::metric_defs().size(), std::nullopt);
  m.at("lifetime_p95_s") = 42.0;
  CHECK(m.values[static_cast<std::size_t>(analysis::metric_index("lifetime_p95_s"))] == 42.0);
  CHECK_FALSE(m.at("lifetime_median_s").has_value());
  CHECK_THROWS_AS(m.at("lifetime_p96_s"), std::out_of_range);
}

TEST_CASE("stats: describe and Welch interval") {
  const auto a = analysis::describe({1, 2, 3, 4, 5});
  CHECK(a.n == 5);
  CHECK(a.mean == doctest::Approx(3));
  CHECK(a.sd == doctest::Approx(std::sqrt(2.5)));
  // 3 +- 2.776 * sqrt(2.5)/sqrt(5)
  CHECK(a.ci_hi - a.mean == doctest::Approx(2.7764 * std::sqrt(0.5)).epsilon(1e-3));
  const auto b = analysis::describe({11, 12, 13, 14, 15});
  const auto d = analysis::welch(a, b);
  CHECK(d.delta == doctest::Approx(10));
  CHECK(d.df == doctest::Approx(8));
  CHECK(d.significant);
  const auto same = analysis::welch(a, analysis::describe({1, 2, 3, 4, 5}));
  CHECK_FALSE(same.significant);
  // Zero variance on both sides: exact.
  const auto z = analysis::welch(analysis::describe({1, 1}), analysis::describe({2, 2}));
  CHECK(z.significant);
}

TEST_CASE("compare: --fail-if thresholds parse - bad ones are rejected") {
  auto t = analysis::parse_threshold("churn_per_link_hour > +5%");
  REQUIRE(t.ok());
  CHECK(t->relative);
  CHECK(t->value == doctest::Approx(0.05));
  CHECK(t->op == analysis::Threshold::Op::kGt);
  auto u = analysis::parse_threshold("lifetime_median_s<=-30");
  REQUIRE(u.ok());
  CHECK_FALSE(u->relative);
  CHECK(u->value == doctest::Approx(-30));
  CHECK(u->op == analysis::Threshold::Op::kLe);
  CHECK_FALSE(analysis::parse_threshold("churn > 5%").ok());
  CHECK_FALSE(analysis::parse_threshold("churn_per_link_hour = 5%").ok());
  CHECK_FALSE(analysis::parse_threshold("churn_per_link_hour > five").ok());
  CHECK_FALSE(analysis::parse_threshold("churn_per_link_hour >").ok());
}

TEST_CASE("metrics: all pre-fix vs all post-fix runs from the DB") {
  const std::uint64_t seed = 7;
  CAPTURE(seed);
  auto pre = test::run(test::load("topologies/six_nodes_prefix.yaml"), seed, 10 * kMinute);
  auto post = test::run(test::load("topologies/six_nodes_postfix.yaml"), seed, 10 * kMinute);
  auto mp = analysis::compute_metrics(pre.db(), 0);
  auto mq = analysis::compute_metrics(post.db(), 0);
  REQUIRE(mp.ok());
  REQUIRE(mq.ok());
  auto v = [](const analysis::RunMetrics& m, const char* name) {
    const auto& x = m.at(name);
    REQUIRE(x.has_value());
    return *x;
  };
  // Post-fix: one connection per link for the whole run.
  CHECK(v(*mq, "churn_per_link_hour") == doctest::Approx(6.0).epsilon(0.01));  // 1 per 10 min
  CHECK(v(*mq, "connected_fraction") > 0.99);
  CHECK(v(*mq, "handshake_failures_per_hour") == 0);
  CHECK(v(*mq, "protocol_errors_per_hour") == 0);
  CHECK(v(*mq, "lifetime_median_s") > 590);
  // Pre-fix: every connection dies at the handshake.
  const double conns = static_cast<double>(
      pre.scalar("SELECT count(*) FROM connections WHERE t_connect_ns IS NOT NULL"));
  CHECK(v(*mp, "churn_per_link_hour") == doctest::Approx(conns * 6 / 15).epsilon(0.01));
  CHECK(v(*mp, "handshake_failures_per_hour") > 1000);
  CHECK(v(*mp, "lifetime_median_s") < 1);
  CHECK(v(*mp, "connected_fraction") < 0.1);
  // No faults: n/a. Consensus is on in both scenarios and neither commits a block.
  CHECK_FALSE(mp->at("reconnect_after_fault_s"));
  CHECK(v(*mp, "blocks_committed") == 0);
  CHECK(v(*mq, "blocks_committed") == 0);
  // The fingerprint is stored and differs between the two traces.
  CHECK(mp->fingerprint.size() == 16);
  CHECK(mp->fingerprint != mq->fingerprint);
}

TEST_CASE("world: the event-trace fingerprint is deterministic and seed-sensitive") {
  const auto sc = test::load("topologies/six_nodes.yaml");
  auto a = test::run(sc, 3, 5 * kMinute);
  auto b = test::run(sc, 3, 5 * kMinute);
  auto c = test::run(sc, 4, 5 * kMinute);
  CHECK(a.stats.fingerprint != 0);
  CHECK(a.stats.fingerprint == b.stats.fingerprint);
  CHECK(a.stats.fingerprint != c.stats.fingerprint);
}

namespace {

json compare_json(const std::string& args, int expect_exit, const std::string& dir_name) {
  const auto dir = test::fresh_dir(dir_name);
  auto o = test::timesim("compare " + args + " --json --jobs 2", dir);
  INFO("stderr: " << o.err);
  REQUIRE(o.exit_code == expect_exit);
  return json::parse(o.out);
}

const json& metric(const json& j, const std::string& name) {
  for (const auto& m : j["metrics"])
    if (m["metric"] == name) return m;
  FAIL("no metric " << name);
  return j;
}

std::string topo(const std::string& f) {
  std::string out = "'";
  out += test::source_path("topologies/" + f);
  out += "'";
  return out;
}

}  // namespace

TEST_CASE("compare: all pre-fix vs all post-fix - every metric better, CIs apart") {
  const auto j =
      compare_json(topo("six_nodes_prefix.yaml") + " " + topo("six_nodes_postfix.yaml") +
                       " --seeds 10 --duration 20m --fail-if 'churn_per_link_hour > +5%'",
                   0, "cmp_prepost");
  int compared = 0;
  for (const auto& m : j["metrics"]) {
    CAPTURE(m.dump());
    const std::string name = m["metric"];
    if (m["verdict"] == "n/a") {
      CHECK((name == "reconnect_after_fault_s" || name == "finality_s"));
      continue;
    }
    if (name == "blocks_committed") {  // consensus on: neither side ever commits a block
      CHECK(m["verdict"] == "same");
      CHECK(m["a"]["mean"] == 0.0);
      CHECK(m["b"]["mean"] == 0.0);
      continue;
    }
    ++compared;
    CHECK(m["verdict"] == "better");
    CHECK(m["cis_overlap"] == false);
  }
  CHECK(compared == 6);
  CHECK(j["regression"] == false);
  CHECK(metric(j, "churn_per_link_hour")["a"]["n"] == 10);
}

TEST_CASE("compare: --versions pre-fix,post-fix on the mixed scenario runs one file both ways") {
  const auto j =
      compare_json(topo("six_nodes.yaml") + " --versions pre-fix,post-fix --seeds 4 --duration 10m",
                   0, "cmp_versions");
  CHECK(j["a"]["version"] == "pre-fix");
  CHECK(j["b"]["version"] == "post-fix");
  CHECK(metric(j, "churn_per_link_hour")["verdict"] == "better");
  CHECK(metric(j, "connected_fraction")["verdict"] == "better");
}

TEST_CASE("compare: a scenario against itself shows no difference and exits 0") {
  const std::string gates =
      " --fail-if 'churn_per_link_hour > +5%' --fail-if 'connected_fraction < -5%'"
      " --fail-if 'protocol_errors_per_hour > +5%' --fail-if 'lifetime_median_s < -5%'";
  // Same seeds: identical runs.
  auto same = compare_json(
      topo("six_nodes.yaml") + " " + topo("six_nodes.yaml") + " --seeds 6 --duration 15m" + gates,
      0, "cmp_self");
  for (const auto& m : same["metrics"]) {
    CAPTURE(m.dump());
    CHECK((m["verdict"] == "same" || m["verdict"] == "n/a"));
  }
  // Independent seeds: sampling noise only.
  auto indep = compare_json(topo("six_nodes.yaml") + " " + topo("six_nodes.yaml") +
                                " --seeds 10 --duration 15m --seed-base-b 1001" + gates,
                            0, "cmp_self_indep");
  for (const auto& m : indep["metrics"]) {
    CAPTURE(m.dump());
    CHECK((m["verdict"] == "same" || m["verdict"] == "n/a"));
  }
  CHECK(indep["regression"] == false);
}

TEST_CASE("compare: a latency spike makes --fail-if exit 1") {
  const auto dir = test::fresh_dir("cmp_spike");
  auto o =
      test::timesim("compare " + topo("six_nodes_postfix.yaml") + " " +
                        topo("six_nodes_postfix_latency_spike.yaml") +
                        " --seeds 5 --jobs 2 --fail-if 'churn_per_link_hour > +5%' --db cmp.db",
                    dir);
  INFO(o.out << o.err);
  CHECK(o.exit_code == 1);
  CHECK(o.out.find("REGRESSION") != std::string::npos);
  CHECK(o.out.find("reconnect_after_fault_s") != std::string::npos);
  // The merged DB holds every run, labelled by side.
  auto runs = analysis::metrics_of_file((dir / "cmp.db").string());
  REQUIRE(runs.ok());
  CHECK(runs->size() == 10);
  CHECK((*runs)[9].at("reconnect_after_fault_s"));
  // Without a threshold the same comparison exits 0 (it reports; it does not gate).
  auto quiet =
      test::timesim("compare " + topo("six_nodes_postfix.yaml") + " " +
                        topo("six_nodes_postfix_latency_spike.yaml") + " --seeds 3 --duration 40m",
                    dir);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.find("worse") != std::string::npos);
}

TEST_CASE("compare: bad input exits 2 and runs nothing") {
  const auto dir = test::fresh_dir("cmp_bad");
  const std::string a = topo("six_nodes.yaml");
  for (const std::string& args :
       {a, a + " --versions pre-fix", a + " --versions pre-fix,nonesuch",
        a + " " + a + " --seeds 1", a + " " + a + " --fail-if 'bogus > 1%'",
        a + " " + a + " --fail-if 'churn_per_link_hour ~ 1'",
        a + " '" + (dir / "missing.yaml").string() + "'", a + " " + a + " --duration 5parsecs"}) {
    CAPTURE(args);
    auto o = test::timesim("compare " + args + " --db out.db", dir);
    CHECK(o.exit_code == 2);
    CHECK(o.err.rfind("timesim: ", 0) == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "out.db"));
  }
}

TEST_CASE("metrics: consensus metrics come from a blocks table when the DB has one") {
  // Rows in the consensus model's `blocks` table (docs/schema.md); a row whose proposal
  // time is unknown counts as a block but not towards finality.
  auto r = test::run(test::load("topologies/six_nodes_postfix.yaml"), 1, 5 * kMinute);
  REQUIRE(
      sql::exec(
          r.db(),
          "INSERT INTO blocks (run_id, node, height, block_hash, producer, "
          "slot_unix_s, how, t_proposed_ns, t_finalized_ns, votes, active, transactions) VALUES "
          "(1, 0, 1, 'a', 0, 0, 'consensus', 0, 2000000000, 4, 6, 0),"
          "(1, 1, 1, 'a', 0, 0, 'consensus', 0, 2000000000, 4, 6, 0),"
          "(1, 0, 2, 'b', 0, 0, 'consensus', 600000000000, 604000000000, 4, 6, 0),"
          "(1, 0, 3, 'c', 0, 0, 'sync', NULL, 1300000000000, 0, 0, 0);")
          .ok());
  auto m = analysis::compute_metrics(r.db(), 0);
  REQUIRE(m.ok());
  const auto blocks = m->at("blocks_committed");
  const auto finality = m->at("finality_s");
  REQUIRE(blocks.has_value());
  CHECK(*blocks == 3);
  REQUIRE(finality.has_value());
  CHECK(*finality == doctest::Approx((2.0 + 2.0 + 4.0) / 3));  // unknown proposal excluded
}
