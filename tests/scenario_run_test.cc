// Scenario tests: run the simulator on the six-node topologies and assert on the DB rows.
// Expected values are derived from the scenario's latency models and the protocol timers,
// never from a previous run's output.
#include <doctest/doctest.h>

#include <array>
#include <map>
#include <set>

#include "analysis/summary.h"
#include "node_core/node.h"
#include "test_util.h"

using namespace ts;
using ts::test::run;

namespace {

// Expected mean one-way delay between two nodes of the scenario (for these models the
// floor rarely binds, so the mean is the model's typical value).
Duration typical(const sim::Scenario& sc, std::size_t a, std::size_t b) {
  return sc.latency(a, b).typical_ns();
}

struct LinkKey {
  std::int64_t d, l;
  bool operator<(const LinkKey& o) const { return d < o.d || (d == o.d && l < o.l); }
};

}  // namespace

TEST_CASE("scenario: all pre-fix - every link cycles, one RTT per connection, redial after 5 s") {
  const auto sc = test::load("topologies/six_nodes_prefix.yaml");
  const std::uint64_t seed = 1;
  CAPTURE(seed);
  const Duration duration = kHour;
  auto r = run(sc, seed, duration);

  auto summary = sim::summarize(r.db(), 0);
  REQUIRE(summary.ok());
  CHECK(summary->links.size() == 15);
  CHECK(summary->cycling == 15);
  CHECK(summary->stable == 0);

  // Every established connection was closed by the listener for the handshake rule, and the
  // listener logged the incident's error line for it.
  CHECK(r.scalar(
            "SELECT count(*) FROM connections WHERE t_connect_ns IS NOT NULL AND open_at_end = 0 "
            "AND (close_reason != 'message_before_handshake' OR closed_by != 'listener')") == 0);
  CHECK(r.scalar("SELECT count(*) FROM connections c WHERE c.t_accept_ns IS NOT NULL AND "
                 "c.open_at_end = 0 "
                 "AND NOT EXISTS (SELECT 1 FROM protocol_errors e WHERE e.conn_id = c.conn_id "
                 "AND e.node = c.listener AND e.kind = 'message_before_handshake' "
                 "AND e.text LIKE '% sent message before handshake - closing connection (not "
                 "blacklisting)')") == 0);
  CHECK(r.scalar("SELECT count(*) FROM protocol_errors WHERE kind != 'message_before_handshake'") ==
        0);
  // The listener logs the line as it closes, once per connection; every counted error is a
  // protocol_errors row, and (schema 8) each is coded in its connection's row.
  CHECK(r.scalar("SELECT count(*) FROM connections c WHERE c.protocol_errors != (SELECT count(*) "
                 "FROM protocol_errors e WHERE e.conn_id = c.conn_id AND e.t_ns = c.t_close_ns)") ==
        0);
  CHECK(r.scalar("SELECT count(*) FROM protocol_errors") > 1000);
  CHECK(r.scalar("SELECT count(*) FROM protocol_error_rows") == 0);
  // The dialer never sent a Handshake: exactly two pings per connection, nothing answered.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_connect_ns IS NOT NULL AND "
                 "(msgs_d2l != 2 OR pings_sent != 2 OR pongs_matched != 0 OR t_handshake_ns IS NOT "
                 "NULL)") == 0);

  // Per link: lifetime ~ one RTT, redial 5 s after the dialer saw the close, and the rate
  // 3600 / (5 s + connect RTT + RTT).
  const auto rows = r.rows(
      "SELECT dialer, listener, t_dial_ns, t_connect_ns, t_closed_dialer_ns FROM connections "
      "WHERE open_at_end = 0 ORDER BY dialer, listener, t_dial_ns");
  std::map<LinkKey, std::vector<std::array<std::int64_t, 3>>> by_link;
  for (const auto& row : rows)
    by_link[{std::stoll(row[0]), std::stoll(row[1])}].push_back(
        {std::stoll(row[2]), std::stoll(row[3]), std::stoll(row[4])});
  REQUIRE(by_link.size() == 15);
  for (const auto& [key, conns] : by_link) {
    CAPTURE(key.d);
    CAPTURE(key.l);
    const Duration rtt = typical(sc, key.d, key.l) + typical(sc, key.l, key.d);
    double life_sum = 0;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      life_sum += static_cast<double>(conns[i][2] - conns[i][1]);
      if (i + 1 < conns.size()) CHECK(conns[i + 1][0] - conns[i][2] == seconds(5));
    }
    const double mean_life = life_sum / static_cast<double>(conns.size());
    CHECK(mean_life == doctest::Approx(static_cast<double>(rtt)).epsilon(0.10));
    const double expected_per_hour =
        static_cast<double>(kHour) / static_cast<double>(seconds(5) + 2 * rtt);
    const double per_hour = static_cast<double>(
        r.scalar("SELECT count(*) FROM connections WHERE t_connect_ns IS NOT NULL AND dialer = " +
                 std::to_string(key.d) + " AND listener = " + std::to_string(key.l)));
    CHECK(per_hour == doctest::Approx(expected_per_hour).epsilon(0.02));
  }
}

TEST_CASE("scenario: all post-fix - 15 connections up for the whole run, a ping every 30 s") {
  const auto sc = test::load("topologies/six_nodes_postfix.yaml");
  const std::uint64_t seed = 1;
  CAPTURE(seed);
  const Duration duration = kHour;
  auto r = run(sc, seed, duration);
  CHECK(r.scalar("SELECT count(*) FROM connections") == 15);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1 AND close_reason = "
                 "'end_of_run'") == 15);
  CHECK(r.scalar("SELECT count(*) FROM protocol_errors") == 0);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_handshake_ns IS NULL") == 0);
  // Two pings at connect, then one per 30 s tick strictly before the end of the run.
  for (const auto& row :
       r.rows("SELECT conn_id, t_connect_ns, pings_sent, pongs_matched, "
              "pings_answered, msgs_dropped, rtt_min_ns, rtt_max_ns, dialer, listener, msgs_l2d "
              "FROM connections")) {
    CAPTURE(row[0]);
    const std::int64_t t_connect = std::stoll(row[1]);
    const std::int64_t ticks =
        (duration - t_connect) / seconds(30) - ((duration - t_connect) % seconds(30) == 0);
    CHECK(std::stoll(row[2]) == 2 + ticks);
    // Every ping is answered; only pongs still in flight at the end can be missing.
    CHECK(std::stoll(row[3]) >= std::stoll(row[2]) - 2);
    CHECK(std::stoll(row[4]) >= std::stoll(row[3]));
    // The dialer drops everything the listener writes except the Pongs: Ack, GetPeers, and
    // (consensus on) GetBlockHeight and a heartbeat a minute. Only the last message or two
    // can still be in flight at the end of the run.
    const std::int64_t not_pongs = std::stoll(row[10]) - std::stoll(row[4]);
    CHECK(std::stoll(row[5]) <= not_pongs);
    CHECK(std::stoll(row[5]) >= not_pongs - 2);
    if (sc.consensus.enabled)
      CHECK(std::stoll(row[5]) >= 3 + (duration - t_connect) / seconds(60) - 1);
    else
      CHECK(std::stoll(row[5]) == 2);
    const Duration rtt = typical(sc, std::stoul(row[8]), std::stoul(row[9])) +
                         typical(sc, std::stoul(row[9]), std::stoul(row[8]));
    CHECK(static_cast<double>(std::stoll(row[6])) > 0.5 * static_cast<double>(rtt));
    CHECK(static_cast<double>(std::stoll(row[7])) < 1.5 * static_cast<double>(rtt));
  }
  auto summary = sim::summarize(r.db(), 0);
  REQUIRE(summary.ok());
  CHECK(summary->stable == 15);
  for (const auto& l : summary->links)
    CHECK(l.ping_interval_ns == seconds(30));
}

TEST_CASE("scenario: mixed six_nodes - exactly the links whose dialer runs old code cycle") {
  const auto sc = test::load("topologies/six_nodes.yaml");
  for (std::uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    auto r = run(sc, seed, 30 * kMinute);
    auto summary = sim::summarize(r.db(), 0);
    REQUIRE(summary.ok());
    int cycling = 0, stable = 0;
    for (const auto& l : summary->links) {
      CAPTURE(l.dialer_name);
      CAPTURE(l.listener_name);
      const bool old_dialer = !sc.nodes[l.dialer].profile->sends_handshake_first;
      CHECK(node::dials(sc.nodes[l.dialer].ip, sc.nodes[l.listener].ip));
      CHECK(l.link_class == (old_dialer ? "cycling" : "stable"));
      cycling += l.link_class == "cycling";
      stable += l.link_class == "stable";
    }
    CHECK(cycling == 8);
    CHECK(stable == 7);
  }
}

TEST_CASE("scenario: same seed gives identical rows - another seed changes timings, not classes") {
  const auto sc = test::load("topologies/six_nodes.yaml");
  auto dump = [](const test::Run& r) {
    std::string all;
    for (const char* table : {"nodes", "connections", "protocol_errors", "node_events"})
      for (const auto& row : r.rows(std::string("SELECT * FROM ") + table + " ORDER BY 1, 2, 3")) {
        for (const auto& c : row)
          all += c + "|";
        all += "\n";
      }
    for (const auto& row :
         r.rows("SELECT scenario, seed, duration_ns, mode, status, events, end_ns FROM runs"))
      for (const auto& c : row)
        all += c + "|";
    return all;
  };
  const Duration d = 20 * kMinute;
  auto a = run(sc, 11, d);
  auto b = run(sc, 11, d);
  auto c = run(sc, 12, d);
  CHECK(dump(a) == dump(b));
  CHECK(dump(a) != dump(c));
  CHECK(a.stats.events == b.stats.events);
  CHECK(a.scalar("SELECT sum(t_connect_ns) FROM connections") !=
        c.scalar("SELECT sum(t_connect_ns) FROM connections"));
  auto sa = sim::summarize(a.db(), 0);
  auto sc2 = sim::summarize(c.db(), 0);
  REQUIRE(sa.ok());
  REQUIRE(sc2.ok());
  for (std::size_t i = 0; i < sa->links.size(); ++i)
    CHECK(sa->links[i].link_class == sc2->links[i].link_class);
}

TEST_CASE("scenario: a node that starts late is refused, then reached after its start") {
  auto sc = test::load("topologies/six_nodes_postfix.yaml");
  sc.nodes[5].start_ns = seconds(100);  // 69.167.168.176: every other node dials it
  auto r = run(sc, 3, 10 * kMinute);
  // Dials before its start are refused (RST after a round trip), later ones connect.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE listener = 5 AND close_reason = "
                 "'connect_refused' "
                 "AND t_dial_ns < 100000000000") > 0);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE listener = 5 AND close_reason = "
                 "'connect_refused' "
                 "AND t_dial_ns >= 100000000000") == 0);
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE listener = 5 AND open_at_end = 1") == 5);
  // Back-off 10 s, 20 s, 40 s, ... between refused dials on one link.
  const auto rows = r.rows(
      "SELECT t_dial_ns, t_closed_dialer_ns FROM connections WHERE dialer = 0 AND "
      "listener = 5 ORDER BY t_dial_ns");
  REQUIRE(rows.size() >= 3);
  CHECK(std::stoll(rows[1][0]) - std::stoll(rows[0][1]) == seconds(10));
  CHECK(std::stoll(rows[2][0]) - std::stoll(rows[1][1]) == seconds(20));
}
