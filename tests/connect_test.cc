// The dial path at the incident commits: no application connect timeout, so a SYN that
// gets no answer is retransmitted by the kernel (sim/linux_tcp.h: 0, 1, 3, 7, 15, 31, 63 s)
// and connect() fails at 127 s; a refused SYN fails after one round trip. A profile that
// sets a connect timeout (c55ddd8's 10 s) ends the dial then. Expectations come from the
// Linux constants and the profile's timers.
//
// six_nodes_postfix.yaml: 0 50.28.104.50 and 1 64.91.241.10 (both us-mi); 0 dials 1.
#include <doctest/doctest.h>

#include <fstream>

#include "node_core/version_profile.h"
#include "sim/linux_tcp.h"
#include "test_util.h"

using namespace ts;
namespace lt = ts::sim::linux_tcp;

namespace {

sim::Scenario postfix_with(const std::string& yaml) {
  return test::load_with("topologies/six_nodes_postfix.yaml", yaml);
}

const std::string kLink01 = " dialer = 0 AND listener = 1 ";

}  // namespace

TEST_CASE("connect: the SYN schedule is 0, 1, 3, 7, 15, 31, 63 s and the give-up 127 s") {
  const Duration expected[] = {0, 1, 3, 7, 15, 31, 63};
  for (int k = 0; k <= lt::kSynRetries; ++k)
    CHECK(lt::syn_send_offset(k) == seconds(expected[k]));
  CHECK(lt::kSynGiveUp == seconds(127));
  CHECK(node::find_profile("post-fix")->timers.connect_timeout_ns == kNever);
  CHECK(node::find_profile("pre-fix")->timers.connect_timeout_ns == kNever);
}

TEST_CASE(
    "connect: a dial across a partition connects at the first SYN retransmission after "
    "the heal") {
  // The partition holds from 0 to 40 s: the dial at start-up (within 0.3 s) loses its SYNs
  // at 0..31 s; the one at 63 s gets through.
  auto r = test::run(
      postfix_with("faults:\n  - {kind: partition, at: 0s, for: 40s, groups: [[50.28.104.50], "
                   "[64.91.241.10]]}\n"),
      1, 5 * kMinute);
  const auto rows =
      r.rows("SELECT t_dial_ns, t_connect_ns, open_at_end FROM connections WHERE" + kLink01);
  REQUIRE(rows.size() == 1);
  const SimTime dial = std::stoll(rows[0][0]);
  REQUIRE(dial < millis(300));
  int k = 0;  // the first transmission sent at or after the heal
  while (dial + lt::syn_send_offset(k) < seconds(40))
    ++k;
  CHECK(k == 6);
  const Duration took = std::stoll(rows[0][1]) - dial;
  CHECK(took > lt::syn_send_offset(k));
  CHECK(took < lt::syn_send_offset(k) + seconds(1));  // plus one round trip
  CHECK(rows[0][2] == "1");
}

TEST_CASE("connect: a dial to a crashed host fails at 127 s; a refused one after a round trip") {
  // 64.91.241.10 crashes at 10 s and stays down; 50.28.104.50's connection to it ends at its
  // pong timeout, and every later dial waits out the SYN retries. Before that, a refuse
  // fault on the same node from 0 s makes the start-up dial fail at once.
  auto r = test::run(postfix_with("faults:\n  - {kind: refuse, at: 0s, for: 5s, node: "
                                  "64.91.241.10}\n  - {kind: crash, at: 10m, node: "
                                  "64.91.241.10}\n"),
                     1, 40 * kMinute);
  const auto rows = r.rows("SELECT t_dial_ns, t_close_ns, close_reason FROM connections WHERE" +
                           kLink01 + "ORDER BY conn_id");
  REQUIRE(rows.size() >= 4);
  CHECK(rows[0][2] == "connect_refused");
  CHECK(std::stoll(rows[0][1]) - std::stoll(rows[0][0]) < seconds(1));
  std::size_t timeouts = 0;
  for (const auto& row : rows) {
    if (row[2] != "connect_timeout") continue;
    ++timeouts;
    CHECK(std::stoll(row[1]) - std::stoll(row[0]) == lt::kSynGiveUp);
  }
  CHECK(timeouts >= 2);
}

TEST_CASE("connect: a profile's connect timeout ends an unanswered dial first") {
  // A later profile (c55ddd8) with its 10 s connect timeout, on the dialer 50.28.104.50.
  static node::VersionProfile later = *node::find_profile("post-fix");
  later.timers.connect_timeout_ns = seconds(10);
  auto sc = postfix_with("faults:\n  - {kind: crash, at: 10m, node: 64.91.241.10}\n");
  sc.nodes[0].profile = &later;
  auto r = test::run(sc, 1, 30 * kMinute);
  const auto fails = r.rows("SELECT t_dial_ns, t_close_ns FROM connections WHERE" + kLink01 +
                            "AND close_reason = 'connect_timeout'");
  REQUIRE(fails.size() >= 2);
  for (const auto& f : fails)
    CHECK(std::stoll(f[1]) - std::stoll(f[0]) == later.timers.connect_timeout_ns);
}
