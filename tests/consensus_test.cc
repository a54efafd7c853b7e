// Scenario tests of the consensus and sync model: every expectation below is derived from
// the protocol timers and the version profiles, and checked on the results DB's rows.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "node_core/leader.h"
#include "node_core/version_profile.h"
#include "test_util.h"

namespace ts {
namespace {

constexpr std::string_view kMixed = "topologies/six_nodes.yaml";
constexpr std::string_view kFull = "topologies/six_nodes_full_outbound.yaml";
// HYPOTHETICAL profile (idealised consensus on hypothetical-full-outbound transport): the scenarios
// that need blocks to be made.
constexpr std::string_view kIdeal = "topologies/six_nodes_hypothetical_ideal.yaml";
const node::ProtocolTimers kT{};

std::string read_text(std::string_view rel) {
  std::ifstream in(test::source_path(std::string(rel)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The scenario file with `edit` applied to its text (a node line changed, faults added).
sim::Scenario load_edited(std::string_view rel, const std::string& from, const std::string& to,
                          const std::string& append = "") {
  std::string text = read_text(rel);
  if (!from.empty()) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  text += append;
  auto sc = sim::parse_scenario(text, std::string(rel));
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

std::int64_t slots_in(Duration d) {
  return d / kT.block_interval_ns;
}

}  // namespace

TEST_CASE("consensus: hypothetical ideal 6 h - a block in every slot with 3 or more active") {
  auto sc = test::load(std::string(kIdeal));
  REQUIRE(sc.consensus.enabled);
  const Duration duration = 6 * kHour;
  for (std::uint64_t seed : {1, 2}) {
    CAPTURE(seed);
    auto r = test::run(sc, seed, duration);
    const std::int64_t n = static_cast<std::int64_t>(sc.nodes.size());
    // Slots whose round can finish inside the run: every boundary strictly before the end.
    // Each had all six masternodes active (heartbeats every 60 s on a stable full mesh).
    const std::int64_t slots = slots_in(duration) - (duration % kT.block_interval_ns == 0);
    std::int64_t slots_with_quorum = 0;
    for (std::int64_t k = 1; k <= slots; ++k) {
      const auto t = std::to_string(k * kT.block_interval_ns);
      const auto min_active =
          r.scalar("SELECT min(active_masternodes) FROM samples WHERE t_ns = " + t);
      slots_with_quorum += min_active >= kT.min_active_masternodes;
    }
    CHECK(slots_with_quorum == slots);
    CHECK(r.scalar("SELECT count(DISTINCT height) FROM blocks") == slots_with_quorum);
    CHECK(r.scalar("SELECT count(*) FROM blocks") == n * slots_with_quorum);  // every node
    CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'slot_skipped'") == 0);
    // Each block is finalised within its own slot, by a quorum of ceil(2n/3) of 6.
    CHECK(r.scalar("SELECT count(*) FROM blocks b JOIN proposals p ON p.block_hash = "
                   "b.block_hash WHERE b.t_finalized_ns - p.t_ns >= " +
                   std::to_string(kT.block_interval_ns)) == 0);
    CHECK(r.scalar("SELECT count(*) FROM blocks WHERE how = 'consensus' AND votes < 4") == 0);
    // All heights equal within one block at every sample after the first slot.
    CHECK(r.scalar("SELECT count(*) FROM (SELECT max(height) - min(height) AS spread FROM "
                   "samples WHERE t_ns >= " +
                   std::to_string(kT.block_interval_ns) + " GROUP BY t_ns) WHERE spread > 1") == 0);
    // One chain: every node holds the same hash at every height.
    CHECK(r.scalar("SELECT count(*) FROM (SELECT height FROM blocks GROUP BY height HAVING "
                   "count(DISTINCT block_hash) > 1)") == 0);
    // The producer of each height is the leader the selection rule names among all six.
    std::vector<std::string> ips;
    for (const auto& nd : sc.nodes)
      ips.push_back(nd.ip);
    std::sort(ips.begin(), ips.end());
    std::vector<std::string_view> active(ips.begin(), ips.end());
    std::map<std::string, int> produced;
    for (const auto& row : r.rows("SELECT DISTINCT b.height, n.ip FROM blocks b JOIN nodes n "
                                  "ON n.node_id = b.producer AND n.run_id = b.run_id")) {
      const auto h = std::stoull(row[0]);
      CHECK(row[1] == ips[node::select_leader(h, active)]);
      ++produced[row[1]];
    }
    CHECK(produced.size() > 1);  // leadership rotates

    // Transactions (tx_rate in the scenario): once every node has heard every heartbeat
    // (after the second heartbeat round) a submitted transaction is final at all six.
    REQUIRE(sc.consensus.tx_per_hour > 0);
    const auto settled = std::to_string(2 * kT.heartbeat_interval_ns);
    const auto submitted = r.scalar(
        "SELECT count(*) FROM node_events WHERE kind = 'tx_submitted' AND t_ns > " + settled);
    CHECK(submitted > 0);
    CHECK(r.scalar("SELECT count(*) FROM node_events e WHERE kind = 'tx_submitted' AND t_ns > " +
                   settled +
                   " AND (SELECT count(DISTINCT node) FROM transactions t WHERE t.txid = "
                   "e.detail) != " +
                   std::to_string(n)) == 0);
    CHECK(r.scalar("SELECT count(*) FROM transactions WHERE votes < 4 OR committee != 6") == 0);
    CHECK(r.scalar("SELECT max(t_final_ns - t_submitted_ns) FROM transactions") < kSecond);
    // Final transactions go into the next block: all but those submitted after the last
    // committed proposal are in a block, and the mempool is empty after each commit.
    const auto last_proposal = std::to_string(slots * kT.block_interval_ns);
    const auto in_blocks =
        r.scalar("SELECT sum(t) FROM (SELECT max(transactions) AS t FROM blocks GROUP BY height)");
    const auto all = r.scalar("SELECT count(*) FROM node_events WHERE kind = 'tx_submitted'");
    const auto late =
        r.scalar("SELECT count(*) FROM node_events WHERE kind = 'tx_submitted' AND t_ns >= " +
                 last_proposal);
    CHECK(in_blocks <= all - late);
    CHECK(in_blocks >= all - late - 2);  // at most the ones submitted before the mesh formed
  }
}

TEST_CASE("consensus: all pre-fix - no block is ever committed and no connection outlives a RTT") {
  auto sc = test::load("topologies/six_nodes_prefix.yaml");
  REQUIRE(sc.consensus.enabled);
  const Duration duration = kHour;
  auto r = test::run(sc, 1, duration);
  CHECK(r.scalar("SELECT count(*) FROM blocks") == 0);
  CHECK(r.scalar("SELECT count(*) FROM proposals") == 0);
  // No listener ever accepts a handshake, so no heartbeat crosses any connection.
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_handshake_ns IS NOT NULL") == 0);
  CHECK(r.scalar("SELECT max(lifetime_ns) FROM connection_lifetimes") < kSecond);
  CHECK(r.scalar("SELECT max(active_masternodes) FROM samples") == 1);
  // Every node skips every slot: it only ever sees itself.
  CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'slot_skipped'") ==
        static_cast<std::int64_t>(sc.nodes.size()) * slots_in(duration));
}

TEST_CASE("consensus: post-fix and mixed - heartbeats flow only listener to dialer and die there") {
  // Regression values with the mechanism behind them (results/consensus.md): the listener
  // writes its heartbeats and everything else on the inbound connection;
  // the dialer (any incident commit) drops all of it but Pong; the dialer writes nothing
  // but Handshake and Ping. So no node ever registers another masternode.
  for (const auto* file : {"topologies/six_nodes_postfix.yaml", "topologies/six_nodes.yaml"}) {
    CAPTURE(file);
    auto sc = test::load(file);
    REQUIRE(sc.consensus.enabled);
    const Duration duration = kHour;
    auto r = test::run(sc, 1, duration);
    CHECK(r.scalar("SELECT count(*) FROM blocks") == 0);
    CHECK(r.scalar("SELECT count(*) FROM proposals") == 0);
    CHECK(r.scalar("SELECT max(active_masternodes) FROM samples") == 1);
    CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'slot_skipped'") ==
          static_cast<std::int64_t>(sc.nodes.size()) * slots_in(duration));
    // Stable (handshaken) connections: the dialer wrote Handshake + pings only ...
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_handshake_ns IS NOT NULL AND "
                   "msgs_d2l != 1 + pings_sent + pongs_unmatched * 0") == 0);
    // ... and dropped a heartbeat a minute from the listener, plus Ack and GetPeers (and
    // GetBlockHeight only where the listener's rules send one: none at these commits).
    const bool gbh = node::find_profile("post-fix")->consensus.sends_get_block_height;
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_handshake_ns IS NOT NULL AND "
                   "msgs_dropped < " +
                   std::to_string(2 + gbh) + " + (" + std::to_string(duration) +
                   " - t_connect_ns) / " + std::to_string(kT.heartbeat_interval_ns) + " - 1") == 0);
    CHECK(r.scalar("SELECT count(*) FROM connections WHERE t_handshake_ns IS NOT NULL") > 0);
    // Client transactions stay where they were submitted: none is final anywhere, and each
    // node's mempool at the end holds exactly the transactions submitted to it.
    CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'tx_submitted'") > 0);
    CHECK(r.scalar("SELECT count(*) FROM transactions") == 0);
    CHECK(r.scalar("SELECT count(*) FROM samples s WHERE t_ns = (SELECT max(t_ns) FROM samples) "
                   "AND mempool != (SELECT count(*) FROM node_events e WHERE e.kind = "
                   "'tx_submitted' AND e.node = s.node AND e.t_ns <= s.t_ns)") == 0);
  }
}

TEST_CASE("consensus: a late joiner catches up through sync within the timers' bound") {
  // 165.232.154.150 sorts first, so when it starts it dials all five peers in one pass
  // (100 ms apart), asks each for its height over the new connection (hypothetical-full-outbound
  // writes on outbound connections) and fetches the missing blocks with GetBlocks.
  const Duration join = 2 * kHour + 5 * kMinute;
  auto sc = load_edited(kIdeal,
                        "{ip: 165.232.154.150, version: hypothetical-ideal-consensus, region: "
                        "eu-fra}",
                        "{ip: 165.232.154.150, version: hypothetical-ideal-consensus, region: "
                        "eu-fra, start: " +
                            std::to_string(join / kSecond) + "s}");
  auto r = test::run(sc, 1, 3 * kHour);
  const auto joiner = r.scalar("SELECT node_id FROM nodes WHERE ip = '165.232.154.150'");
  const auto js = std::to_string(joiner);
  const auto behind =
      r.scalar("SELECT max(height) FROM blocks WHERE t_finalized_ns < " + std::to_string(join));
  CHECK(behind == slots_in(join));  // the others kept producing without it
  CHECK(r.scalar("SELECT count(*) FROM blocks WHERE how = 'sync' AND node = " + js) == behind);
  const auto done = r.scalar(
      "SELECT min(t_ns) FROM node_events WHERE kind = 'sync_done' AND "
      "node = " +
      js);
  REQUIRE(done > join);
  // Bound: the pass's last dial (4 x 100 ms), then three round trips on the slowest link
  // (TCP connect, GetBlockHeight, GetBlocks), well inside one sync poll interval.
  const auto max_rtt = r.scalar("SELECT max(rtt_max_ns) FROM connections");
  REQUIRE(max_rtt > 0);
  const Duration bound = 4 * kT.redial_pass_spacing_ns + 3 * max_rtt + kT.sync_poll_interval_ns;
  CHECK(done - join <= bound);
  // From then on it takes part: same height as everyone at the end, and it votes.
  CHECK(r.scalar("SELECT count(DISTINCT height) FROM samples WHERE t_ns = (SELECT max(t_ns) "
                 "FROM samples)") == 1);
  CHECK(r.scalar("SELECT count(*) FROM blocks WHERE how != 'sync' AND node = " + js) ==
        slots_in(3 * kHour) - 1 - behind);
}

TEST_CASE("consensus: a 3 | 3 partition stalls production and healing resumes it") {
  const Duration at = kHour + 5 * kMinute, len = 40 * kMinute;
  const std::string fault =
      "faults:\n  - {kind: partition, at: " + std::to_string(at / kSecond) +
      "s, for: " + std::to_string(len / kSecond) +
      "s, groups: [[50.28.104.50, 64.91.241.10, 165.84.215.117], [165.232.154.150, "
      "178.128.199.144, 69.167.168.176]]}\n";
  SUBCASE("quorum of registered masternodes (default): no side commits") {
    auto sc = load_edited(kIdeal, "", "", fault);
    auto r = test::run(sc, 1, 3 * kHour);
    // Slots inside the partition: each side sees at most 3 of 6 registered -> 3 < 4 votes.
    CHECK(r.scalar("SELECT count(*) FROM blocks WHERE t_finalized_ns > " + std::to_string(at) +
                   " AND t_finalized_ns < " + std::to_string(at + len)) == 0);
    CHECK(r.scalar("SELECT count(*) FROM proposals WHERE t_ns > " + std::to_string(at) +
                   " AND t_ns < " + std::to_string(at + len)) > 0);  // leaders still propose
    // After the heal: links come back within the dial back-off cap, and the next slot after
    // that commits again; everyone ends on one chain.
    const auto first_after = r.scalar(
        "SELECT min(t_finalized_ns) FROM blocks WHERE "
        "t_finalized_ns > " +
        std::to_string(at + len));
    REQUIRE(first_after > 0);
    CHECK(first_after - (at + len) <=
          kT.dial_backoff_max_ns + kT.block_interval_ns + kT.masternode_offline_ns);
    CHECK(r.scalar("SELECT count(*) FROM (SELECT height FROM blocks GROUP BY height HAVING "
                   "count(DISTINCT block_hash) > 1)") == 0);
    CHECK(r.scalar("SELECT count(DISTINCT height) FROM samples WHERE t_ns = (SELECT max(t_ns) "
                   "FROM samples)") == 1);
  }
  SUBCASE("quorum of active masternodes: both sides commit, and the chain forks") {
    auto sc = load_edited(kIdeal, "consensus: {", "consensus: {quorum_of: active, ", fault);
    REQUIRE(sc.consensus.quorum_of_active);
    auto r = test::run(sc, 1, 3 * kHour);
    // Once the other side's heartbeats are 180 s old, each side has 3 active: quorum 2.
    CHECK(r.scalar("SELECT count(*) FROM (SELECT height FROM blocks WHERE t_finalized_ns > " +
                   std::to_string(at) +
                   " GROUP BY height HAVING count(DISTINCT block_hash) > "
                   "1)") > 0);
  }
}

TEST_CASE(
    "consensus: all hypothetical-full-outbound (31ad283 rules) - heartbeats flow, nothing is "
    "produced") {
  // The transport carries everything, but at 31ad283 a node registers only itself
  // (main.rs:443-450; nobody sends MasternodeAnnouncement) and ignores heartbeats from
  // masternodes it has not registered (masternode_registry.rs:553-572). So every node sees
  // one active masternode, skips every slot (fewer than 3, main.rs:617-623), and no
  // transaction is final (its own vote is not counted, the others' are rejected).
  auto sc = test::load(std::string(kFull));
  REQUIRE(sc.consensus.enabled);
  const auto& rules = node::find_profile("hypothetical-full-outbound")->consensus;
  REQUIRE(!rules.registers_heartbeat_senders);
  const Duration duration = 2 * kHour;
  auto r = test::run(sc, 1, duration, sim::RecordLevel::kMessages);
  const auto n = static_cast<std::int64_t>(sc.nodes.size());
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE open_at_end = 1") == 15);
  CHECK(r.scalar("SELECT count(*) FROM messages WHERE kind = 'HeartbeatBroadcast'") > 0);
  CHECK(r.scalar("SELECT count(*) FROM messages WHERE kind = 'GetBlockHeight'") == 0);
  CHECK(r.scalar("SELECT max(active_masternodes) FROM samples") == 1);
  CHECK(r.scalar("SELECT count(*) FROM blocks") == 0);
  CHECK(r.scalar("SELECT count(*) FROM proposals") == 0);
  CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'slot_skipped'") ==
        n * slots_in(duration));
  CHECK(r.scalar("SELECT count(*) FROM node_events WHERE kind = 'tx_submitted'") > 0);
  CHECK(r.scalar("SELECT count(*) FROM transactions") == 0);
  // Votes do cross: every node broadcasts one TransactionVote per transaction it sees.
  CHECK(r.scalar("SELECT count(*) FROM messages WHERE kind = 'TransactionVote'") > 0);
}

}  // namespace ts
