// Unit tests of the per-commit consensus rules (VersionProfile::consensus): one Node driven
// through its inputs, its outputs checked. Expectations come from the profile's constants
// and from independent computations (python3 hashlib) of upstream's hashes.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/prng.h"
#include "common/streams.h"
#include "node_core/leader.h"
#include "node_core/masternode_registry.h"
#include "node_core/node.h"
#include "node_core/sha256.h"
#include "node_harness.h"

using namespace ts;
using namespace ts::node;

namespace {

constexpr std::int64_t kEpoch = 1766106000;  // a multiple of 600: slots at 600 s, 1200 s, ...
constexpr const char* kUpstream = "post-fix";
constexpr const char* kIdeal = "hypothetical-ideal-consensus";

std::string hex(std::span<const std::uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

struct Harness : test::NodeHarness {
  ConnId next_conn = 100;

  Harness(const char* version, std::vector<std::string> on_disk = {},
          std::vector<std::string> peers = {}, std::uint64_t seed = 1)
      : NodeHarness(make_cfg(std::move(on_disk), std::move(peers)), *find_profile(version), seed) {}
  static NodeConfig make_cfg(std::vector<std::string> on_disk, std::vector<std::string> peers) {
    NodeConfig c = test::node_config("10.0.0.1", std::move(peers));
    c.clock_epoch_unix_s = kEpoch;
    c.consensus = true;
    c.registry_on_disk = std::move(on_disk);
    return c;
  }
  // An inbound connection from `ip`, past its handshake (so writable and handled).
  ConnId accept(SimTime now, const std::string& ip) {
    const ConnId id = next_conn++;
    feed(now, Connected{id, Direction::kInbound, 0, ip, 40000});
    deliver(now, id, Handshake{kMagic, kProtocolVersion, "testnet"});
    return id;
  }
  void deliver(SimTime now, ConnId id, const Message& m) { feed(now, BytesIn{id, encode(m)}); }
  std::size_t sent(MsgKind k) const {
    return static_cast<std::size_t>(std::count_if(out.begin(), out.end(), [&](const Output& o) {
      const auto* s = std::get_if<Send>(&o);
      return s && s->kind == k;
    }));
  }
  std::size_t events(ChainEventKind k) const {
    return static_cast<std::size_t>(std::count_if(out.begin(), out.end(), [&](const Output& o) {
      const auto* e = std::get_if<ChainEvent>(&o);
      return e && e->kind == k;
    }));
  }
};

Block block_on(const Block& parent, std::string producer) {
  Block b;
  b.height = parent.height + 1;
  b.previous_hash = parent.hash;
  b.timestamp = kEpoch + 600;
  b.producer = std::move(producer);
  b.hash = block_hash(b);
  return b;
}

}  // namespace

TEST_CASE("consensus rules: SHA-256 and upstream's hashed bytes match an independent hashlib") {
  // printf 'abc' | sha256sum
  const std::string abc = "abc";
  CHECK(hex(sha256({reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()})) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // main.rs:664-677: prev_hash (32 bytes) then the tip height, u64 little-endian.
  // python3: hashlib.sha256(struct.pack('<Q',0x0123456789abcdef)+bytes(24)+struct.pack('<Q',7))
  const auto in = producer_selection_input(0x0123456789abcdefull, 7);
  CHECK(hex(in) ==
        "efcdab8967452301000000000000000000000000000000000000000000000000"
        "0700000000000000");
  CHECK(hex(sha256(in)) == "5076859905157e7f38a56f5831a72a6f14f76ee3ed16c00cc78753df8748cf7f");
  CHECK(first_u64_le(sha256(in)) == 0x7f7e150599857650ull);
  CHECK(select_producer(0x0123456789abcdefull, 7, 6) == 0x7f7e150599857650ull % 6);
  // bft_consensus.rs:125-146: height u64 LE then the sorted addresses concatenated.
  // python3: hashlib.sha256(struct.pack('<Q',5)+''.join(sorted(ips)).encode()) -> 8b3b5355...
  std::vector<std::string> ips = {"50.28.104.50",    "64.91.241.10",    "165.84.215.117",
                                  "165.232.154.150", "178.128.199.144", "69.167.168.176"};
  std::sort(ips.begin(), ips.end());
  std::vector<std::string_view> v(ips.begin(), ips.end());
  CHECK(0x8b3b535582324717ull % 6 == 1);
  CHECK(ips[select_leader(5, v)] == "165.84.215.117");
}

TEST_CASE("consensus rules: a silent masternode goes offline 180-300 s after its heartbeat") {
  const ConsensusRules r = find_profile(kUpstream)->consensus;
  const ProtocolTimers t{};
  REQUIRE(r.offline_check_interval_ns > 0);
  MasternodeRegistry::Policy p{t.masternode_offline_ns, r.offline_check_interval_ns,
                               r.remove_after_ns};
  // Last heartbeat L at every second of one check interval: the offline moment is the first
  // monitor tick (origin 0, every 120 s) more than 180 s after L.
  for (SimTime l = seconds(1); l <= r.offline_check_interval_ns; l += seconds(1)) {
    MasternodeRegistry reg(p, 0, 42);
    reg.register_at("10.0.0.2", 0);
    REQUIRE(reg.heartbeat("10.0.0.2", l));
    SimTime off = l;
    while (reg.active_count(off) == 1)
      off += seconds(1);
    CHECK(off - l > t.masternode_offline_ns);
    CHECK(off - l <= t.masternode_offline_ns + r.offline_check_interval_ns);
    CHECK(off % r.offline_check_interval_ns == 0);  // only at a tick
  }
}

TEST_CASE("consensus rules: a registered masternode is removed after an hour offline") {
  // Loaded from disk at 0 and never heard again: offline at the 240 s tick, removed at the
  // first tick more than remove_after (3600 s) after 0, i.e. 3720 s. A heartbeat before
  // that brings it back; one at or after it is ignored (no longer registered).
  const ConsensusRules r = find_profile(kUpstream)->consensus;
  const SimTime removal =
      (r.remove_after_ns / r.offline_check_interval_ns + 1) * r.offline_check_interval_ns;
  for (SimTime at : {removal - seconds(1), removal}) {
    CAPTURE(at);
    Harness h(kUpstream, {"10.0.0.2"});
    h.feed(0, Start{});
    const ProtocolTimers t{};
    SimTime own = 0;  // the node's own heartbeats keep itself active
    auto own_heartbeats_until = [&](SimTime until) {
      for (; own + t.heartbeat_interval_ns <= until; own += t.heartbeat_interval_ns)
        h.feed(own + t.heartbeat_interval_ns, TimerFired{{TimerKind::kHeartbeat, 0}});
    };
    own_heartbeats_until(seconds(239));
    CHECK(h.node.active_masternodes(seconds(239)) == 2);
    own_heartbeats_until(seconds(240));
    CHECK(h.node.active_masternodes(seconds(240)) == 1);
    own_heartbeats_until(at);
    const ConnId c = h.accept(at, "10.0.0.2");
    h.deliver(at, c, Heartbeat{"10.0.0.2", 1, kEpoch});
    CHECK(h.node.active_masternodes(at) == (at < removal ? 2u : 1u));
  }
}

TEST_CASE("consensus rules: heartbeats from unregistered masternodes are ignored at 31ad283") {
  for (const char* v : {kUpstream, kIdeal}) {
    CAPTURE(v);
    Harness h(v);
    h.feed(0, Start{});
    const ConnId c = h.accept(seconds(1), "10.0.0.2");
    h.deliver(seconds(2), c, Heartbeat{"10.0.0.2", 1, kEpoch});
    const bool registers = find_profile(v)->consensus.registers_heartbeat_senders;
    CHECK(h.node.active_masternodes(seconds(2)) == (registers ? 2u : 1u));
  }
}

TEST_CASE("consensus rules: GetBlockHeight is never sent; sync responses are not handled") {
  for (const char* v : {kUpstream, kIdeal}) {
    CAPTURE(v);
    const ConsensusRules& r = find_profile(v)->consensus;
    Harness h(v);
    h.feed(0, Start{});
    const ConnId c = h.next_conn++;
    h.feed(seconds(1), Connected{c, Direction::kInbound, 0, "10.0.0.2", 40000});
    h.deliver(seconds(1), c, Handshake{kMagic, kProtocolVersion, "testnet"});
    CHECK(h.sent(MsgKind::kGetBlockHeight) == (r.sends_get_block_height ? 1u : 0u));
    // A BlocksResponse whose block extends the tip: applied only if responses are handled.
    BlocksResponse br;
    br.blocks.push_back(block_on(h.node.chain().tip(), "10.0.0.2"));
    h.deliver(seconds(2), c, br);
    CHECK(h.node.chain().height() == (r.handles_sync_responses ? 1u : 0u));
    // A BlockHeightResponse above the tip starts a sync only if handled.
    h.deliver(seconds(3), c, BlockHeightResponse{5});
    CHECK(h.events(ChainEventKind::kSyncStarted) == (r.handles_sync_responses ? 1u : 0u));
  }
}

namespace {

// Keeps `from` (already accepted) heard every heartbeat interval until `until`.
void keep_alive(Harness& h, const std::vector<std::pair<ConnId, std::string>>& from, SimTime t0,
                SimTime until) {
  const ProtocolTimers t{};
  std::uint64_t seq = 0;
  for (SimTime at = t0; at < until; at += t.heartbeat_interval_ns) {
    ++seq;
    for (const auto& [c, ip] : from)
      h.deliver(at, c, Heartbeat{ip, seq, kEpoch});
    h.feed(at, TimerFired{{TimerKind::kHeartbeat, 0}});
  }
}

}  // namespace

TEST_CASE("consensus rules: only main.rs's producer opens a round, per-process HashMap order") {
  // Three masternodes, all active at the first slot (600 s). 10.0.0.1 is the BFT leader of
  // height 1 among them (python3 hashlib, see leader.h). main.rs's producer is
  // eligible[select_producer(genesis hash, 0, 3)] in the node's own registry order, which
  // the node keys with Prng::derive(seed, stream_id(Stream::kRegistryOrder)): the node proposes iff
  // that is itself. Over seeds both outcomes occur; each is reproduced by the rule.
  const std::vector<std::string> others = {"10.0.0.2", "10.0.0.3"};
  std::vector<std::string> all = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
  std::vector<std::string_view> sorted(all.begin(), all.end());
  REQUIRE(all[select_leader(1, sorted)] == "10.0.0.1");
  const ProtocolTimers t{};
  const SimTime slot = t.block_interval_ns;
  int proposed = 0, not_proposed = 0;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    CAPTURE(seed);
    MasternodeRegistry mirror({}, 0,
                              Prng::derive(seed, stream_id(Stream::kRegistryOrder)).next_u64());
    for (const auto& a : all)
      mirror.register_at(a, 0);
    std::vector<std::string_view> order;
    mirror.active_in_map_order(0, order);
    const bool expect = order[select_producer(genesis_block().hash, 0, order.size())] == "10.0.0.1";

    Harness h(kUpstream, others, {}, seed);
    h.feed(0, Start{});
    std::vector<std::pair<ConnId, std::string>> conns;
    for (const auto& ip : others)
      conns.emplace_back(h.accept(seconds(1), ip), ip);
    keep_alive(h, conns, t.heartbeat_interval_ns, slot);
    h.feed(slot, TimerFired{{TimerKind::kBlockSlot, 0}});
    CHECK(h.events(ChainEventKind::kSlotSkipped) == 0);
    CHECK(h.sent(MsgKind::kBlockProposal) == (expect ? 2u : 0u));
    CHECK(h.sent(MsgKind::kBlockVote) == 0);  // propose_block() casts no vote
    (expect ? proposed : not_proposed)++;
  }
  CHECK(proposed > 0);
  CHECK(not_proposed > 0);
}

TEST_CASE("consensus rules: a node that opened no round rejects a proposal (No active round)") {
  // {10.0.0.1, .2, .5}: the BFT leader of height 1 is 10.0.0.5 (python3 hashlib). At its
  // slot the hypothetical node opens a round and votes for the leader's proposal; the
  // 31ad283 node opened none (it is not main.rs's producer, or if it is, its own round
  // names 10.0.0.5 as leader and it does not propose) and answers nothing.
  const std::vector<std::string> others = {"10.0.0.2", "10.0.0.5"};
  std::vector<std::string> all = {"10.0.0.1", "10.0.0.2", "10.0.0.5"};
  std::vector<std::string_view> sorted(all.begin(), all.end());
  REQUIRE(all[select_leader(1, sorted)] == "10.0.0.5");
  const ProtocolTimers t{};
  for (const char* v : {kUpstream, kIdeal}) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      CAPTURE(v);
      CAPTURE(seed);
      Harness h(v, others, {}, seed);
      h.feed(0, Start{});
      std::vector<std::pair<ConnId, std::string>> conns;
      for (const auto& ip : others)
        conns.emplace_back(h.accept(seconds(1), ip), ip);
      keep_alive(h, conns, t.heartbeat_interval_ns, t.block_interval_ns);
      h.feed(t.block_interval_ns, TimerFired{{TimerKind::kBlockSlot, 0}});
      CHECK(h.sent(MsgKind::kBlockProposal) == 0);  // not the BFT leader under either rule
      const Block b = block_on(h.node.chain().tip(), "10.0.0.5");
      h.deliver(t.block_interval_ns + seconds(1), conns[1].first, BlockProposal{b, "10.0.0.5", 0});
      const bool every_node_round =
          find_profile(v)->consensus.proposer == ConsensusRules::Proposer::kBftLeaderEveryNode;
      const bool main_rs_round_here = [&] {  // 31ad283: the producer opened a round too
        MasternodeRegistry m({}, 0,
                             Prng::derive(seed, stream_id(Stream::kRegistryOrder)).next_u64());
        for (const auto& a : all)
          m.register_at(a, 0);
        std::vector<std::string_view> order;
        m.active_in_map_order(0, order);
        return order[select_producer(genesis_block().hash, 0, order.size())] == "10.0.0.1";
      }();
      CHECK(h.sent(MsgKind::kBlockVote) == (every_node_round || main_rs_round_here ? 2u : 0u));
    }
  }
}

TEST_CASE("consensus rules: a transaction needs ceil(2n/3) votes of registered masternodes") {
  // 10.0.0.1 plus three from disk: n = 4, quorum 3. At 31ad283 the node's own vote is only
  // broadcast, never counted, and a vote from an unregistered address is rejected.
  const std::vector<std::string> others = {"10.0.0.2", "10.0.0.3", "10.0.0.4"};
  for (const char* v : {kUpstream, kIdeal}) {
    CAPTURE(v);
    const ConsensusRules& r = find_profile(v)->consensus;
    Harness h(v, others);
    h.feed(0, Start{});
    const ConnId c = h.accept(seconds(1), "10.0.0.2");
    h.feed(seconds(2), SubmitTransaction{77});
    CHECK(h.sent(MsgKind::kTransactionVote) == 1);
    std::vector<std::size_t> finals;  // finalisations seen after each vote
    for (const char* voter :
         {"10.9.9.9" /* never registered */, "10.0.0.2", "10.0.0.3", "10.0.0.4"}) {
      h.deliver(seconds(3), c, TransactionVote{77, voter, true, kEpoch});
      finals.push_back(h.events(ChainEventKind::kTxFinalized) +
                       (finals.empty() ? 0 : finals.back()));
    }
    // 31ad283: .2 .3 .4 make the quorum of 3. Ideal: self + 10.9.9.9 + .2 already do.
    const std::vector<std::size_t> expect = r.counts_own_tx_vote && !r.tx_votes_only_from_registered
                                                ? std::vector<std::size_t>{0, 1, 1, 1}
                                                : std::vector<std::size_t>{0, 0, 0, 1};
    CHECK(finals == expect);
  }
}

TEST_CASE("consensus rules: catch-up asks the first 5 peers of the list once, polls 60 s") {
  // 31ad283: no block is made (the producer's proposal is never voted), so at the second
  // slot the node is 2 below the expected height (> 1 behind) and catches up: GetBlocks to
  // the first `sync_peers` entries of its peer list that it has a connection to, once;
  // then it polls every 2 s and gives up after 60 s.
  const ProtocolTimers t{};
  const std::vector<std::string> others = {"10.0.0.2", "10.0.0.3"};
  const std::vector<std::string> peers = {"10.0.0.2", "10.0.0.5", "10.0.0.3", "10.0.0.6",
                                          "10.0.0.7", "10.0.0.8", "10.0.0.9"};
  REQUIRE(t.sync_peers == 5);
  Harness h(kUpstream, others, peers);
  h.feed(0, Start{});
  std::vector<std::pair<ConnId, std::string>> conns;
  for (const auto& ip : others)
    conns.emplace_back(h.accept(seconds(1), ip), ip);
  const ConnId late = h.accept(seconds(1), "10.0.0.9");  // 7th in the list: never asked
  keep_alive(h, conns, t.heartbeat_interval_ns, t.block_interval_ns);
  h.feed(t.block_interval_ns, TimerFired{{TimerKind::kBlockSlot, 0}});
  REQUIRE(h.node.chain().height() == 0);
  keep_alive(h, conns, t.block_interval_ns, 2 * t.block_interval_ns);
  h.feed(2 * t.block_interval_ns, TimerFired{{TimerKind::kBlockSlot, 0}});
  CHECK(h.events(ChainEventKind::kSyncStarted) == 1);
  std::vector<ConnId> asked;
  for (const auto& o : h.out)
    if (const auto* s = std::get_if<Send>(&o); s && s->kind == MsgKind::kGetBlocks)
      asked.push_back(s->conn);
  CHECK(asked == std::vector<ConnId>{conns[0].first, conns[1].first});
  CHECK(std::find(asked.begin(), asked.end(), late) == asked.end());
  std::size_t resent = 0, gave_up = 0;
  SimTime at = 2 * t.block_interval_ns;
  for (int i = 0; i < 40 && gave_up == 0; ++i) {
    at += t.sync_poll_interval_ns;
    h.feed(at, TimerFired{{TimerKind::kSyncPoll, 0}});
    resent += h.sent(MsgKind::kGetBlocks);
    gave_up += h.events(ChainEventKind::kSyncGaveUp);
  }
  CHECK(resent == 0);
  CHECK(gave_up == 1);
  CHECK(at - 2 * t.block_interval_ns == t.sync_timeout_ns);
}
