// The masternode layer of Node: heartbeats, block slots, proposal -> votes -> commit, and
// block sync. What it can achieve depends on which connections carry which messages, and
// that is decided by the P2P layer in node.cc: a message reaches this code only if the
// receiving side handles it (inbound after the handshake; outbound only when the profile
// handles every message), and broadcasts and requests go out only on writable connections
// (inbound after the handshake; outbound only when the profile registers them).
// docs/consensus.md states the rules and where they simplify upstream.
#include <algorithm>

#include "common/assert.h"
#include "node_core/leader.h"
#include "node_core/node.h"

namespace ts::node {

std::string_view chain_event_kind_name(ChainEventKind k) {
  switch (k) {
    case ChainEventKind::kProposed:
      return "proposed";
    case ChainEventKind::kCommitted:
      return "committed";
    case ChainEventKind::kAdopted:
      return "adopted";
    case ChainEventKind::kSynced:
      return "synced";
    case ChainEventKind::kSlotSkipped:
      return "slot_skipped";
    case ChainEventKind::kSyncStarted:
      return "sync_started";
    case ChainEventKind::kSyncDone:
      return "sync_done";
    case ChainEventKind::kSyncGaveUp:
      return "sync_gave_up";
    case ChainEventKind::kTxSubmitted:
      return "tx_submitted";
    case ChainEventKind::kTxFinalized:
      return "tx_finalized";
  }
  return "?";
}

namespace {

// Nanoseconds until the node's wall clock next reaches a multiple of `interval`; a clock
// exactly on a boundary waits a whole interval (upstream: 600 - seconds_into_period).
Duration until_next_boundary(std::int64_t wall_s, SimTime sub_second_ns, Duration interval) {
  const std::int64_t interval_s = interval / kSecond;
  const std::int64_t into = ((wall_s % interval_s) + interval_s) % interval_s;
  return (interval_s - into) * kSecond - sub_second_ns;
}

// Votes needed to commit among `active` masternodes: ceil(2n/3), upstream's
// `(n * 2).div_ceil(3)` (4 of 6; protocol.md's "67 %" is its rounded name).
std::uint32_t quorum_of(std::uint32_t active) {
  return (2 * active + 2) / 3;
}

MasternodeRegistry::Policy registry_policy(const VersionProfile& p) {
  return {p.timers.masternode_offline_ns, p.consensus.offline_check_interval_ns,
          p.consensus.remove_after_ns};
}

}  // namespace

std::size_t Node::active_masternodes(SimTime now) const {
  return registry_.active_count(now);
}

std::size_t Node::mempool_size() const {
  return static_cast<std::size_t>(std::count_if(txs_.begin(), txs_.end(), [](const auto& kv) {
    return kv.second.body && !kv.second.in_block;
  }));
}

std::uint32_t Node::committee_size(SimTime now, std::uint32_t active) const {
  return cfg_.quorum_base == NodeConfig::QuorumBase::kActive
             ? active
             : static_cast<std::uint32_t>(registry_.registered(now));
}

std::size_t Node::established_connections() const {
  return static_cast<std::size_t>(std::count_if(conns_.begin(), conns_.end(), [](const Conn& c) {
    return c.dir == Direction::kOutbound || c.handshaken;
  }));
}

void Node::chain_event(ChainEventKind kind, const Block* b, std::uint64_t height,
                       std::uint32_t votes, std::uint32_t active) {
  ChainEvent e;
  e.kind = kind;
  e.height = height;
  if (b) {
    e.hash = b->hash;
    e.producer = b->producer;
    e.slot_unix_s = b->timestamp;
    e.transactions = static_cast<std::uint32_t>(b->transactions.size());
  }
  e.votes = votes;
  e.active = active;
  out().push_back(std::move(e));
}

void Node::broadcast(const Message& m) {
  if (!knows(kind_of(m))) return;  // the build has no such variant
  encode_for_wire(m);
  const MsgKind kind = kind_of(m);
  for (const auto& c : conns_) {
    if (!c.writable) continue;
    const ConnId to = route(c);
    if (to == 0) continue;
    if (c.dir == Direction::kInbound)
      channel_send(c, to, kind);  // the server broadcast channel's subscribers
    else
      emit<Send>(to, kind, scratch_payload());
  }
}

// ---- start, heartbeats, slots ------------------------------------------------------------

void Node::consensus_start(SimTime now) {
  // The registry database is loaded, then the node registers itself (main.rs:443-450).
  registry_ = MasternodeRegistry(registry_policy(*profile_), now, registry_order_key_);
  for (const auto& a : cfg_.registry_on_disk)
    registry_.register_at(a, now);
  registry_.register_at(cfg_.ip, now);
  gossip_start(now);  // the start-up announcement (e1a6086)
  // tokio::time::interval: the first heartbeat tick completes at once.
  heartbeat_at_ = now;
  on_heartbeat_tick(now);
  // From 6e08456 block production is Avalanche/TSDC, which the model does not have: a build
  // without the BFT messages runs no block slots at all (docs/fidelity.md).
  if (!profile_->wire.bft) return;
  // Slots: sleep to the next wall-clock multiple of the block interval, then an interval.
  const Duration interval = profile_->timers.block_interval_ns;
  const SimTime wall_ns = now + cfg_.clock_offset_ns;
  const SimTime sub_ns = ((wall_ns % kSecond) + kSecond) % kSecond;
  arm(TimerKind::kBlockSlot, 0, slot_at_,
      now + until_next_boundary(wall_clock_s(now), sub_ns, interval));
  // main.rs:510-523: catchup_blocks() once at start-up, if below the expected height.
  if (profile_->consensus.catchup_when_behind_schedule) catch_up_if_behind(now, 0);
}

void Node::on_heartbeat_tick(SimTime now) {
  registry_.heartbeat(cfg_.ip, now);  // main.rs:487
  gossip_tick(now);                   // announcement, GetMasternodes (925de6b main.rs)
  broadcast(Heartbeat{cfg_.ip, ++heartbeat_seq_, wall_clock_s(now)});
  arm(TimerKind::kHeartbeat, 0, heartbeat_at_, now + profile_->timers.heartbeat_interval_ns);
}

void Node::on_slot(SimTime now) {
  arm(TimerKind::kBlockSlot, 0, slot_at_, now + profile_->timers.block_interval_ns);
  const std::uint64_t height = chain_.height() + 1;
  if (profile_->consensus.proposer == ConsensusRules::Proposer::kBftLeaderEveryNode)
    slot_every_node_round(now, height);
  else
    slot_main_rs_producer(now, height);
}

// Hypothetical rule: every node with 3 or more active opens the round; its leader proposes.
void Node::slot_every_node_round(SimTime now, std::uint64_t height) {
  const auto active = static_cast<std::uint32_t>(registry_.active_count(now));
  if (active < profile_->timers.min_active_masternodes) {
    chain_event(ChainEventKind::kSlotSkipped, nullptr, height, 0, active);
    return;
  }
  open_round(now, height);
  if (rounds_.back().leader == cfg_.ip) propose(now, height);
}

// 31ad283's block timer (main.rs:598-724): the eligible masternodes (active; the reward
// period starts at this tick, so every active one is eligible) in HashMap order; fewer
// than 3: skip. Behind the schedule by more than one block: catch up instead. Otherwise
// only the selected producer goes on, into produce_block (blockchain.rs:777-915), which
// starts a BFT round and proposes only if this node is also the round's BFT leader.
void Node::slot_main_rs_producer(SimTime now, std::uint64_t height) {
  registry_.active_in_map_order(now, active_scratch_);
  const auto eligible = static_cast<std::uint32_t>(active_scratch_.size());
  if (eligible < profile_->timers.min_active_masternodes) {
    chain_event(ChainEventKind::kSlotSkipped, nullptr, height, 0, eligible);
    return;
  }
  if (profile_->consensus.catchup_when_behind_schedule && catch_up_if_behind(now, 1)) return;
  if (chain_.height() > expected_height(now)) return;  // "ahead of expected": no production
  const std::string_view producer =
      active_scratch_[select_producer(chain_.tip().hash, chain_.height(), eligible)];
  if (producer != cfg_.ip) return;
  open_round(now, height);
  if (rounds_.back().leader == cfg_.ip) propose(now, height);
}

// bft start_round(): this node's round for `height` with the BFT leader of its active set.
void Node::open_round(SimTime now, std::uint64_t height) {
  registry_.active_sorted(now, sorted_scratch_);
  const auto active = static_cast<std::uint32_t>(sorted_scratch_.size());
  prune_rounds();
  Round r;
  r.height = height;
  r.leader = std::string(sorted_scratch_[select_leader(height, sorted_scratch_)]);
  r.active = active;
  r.committee = committee_size(now, active);
  r.started = now;
  // A new slot replaces a round for the same height that never committed.
  std::erase_if(rounds_, [&](const Round& o) { return o.height == height; });
  rounds_.push_back(r);
}

// propose_block(): the block on the tip with the final transactions, broadcast.
void Node::propose(SimTime now, std::uint64_t height) {
  Block b;
  b.height = height;
  b.previous_hash = chain_.tip().hash;
  b.timestamp = wall_clock_s(now);
  b.producer = cfg_.ip;
  for (const auto& [txid, tx] : txs_)  // finalised transactions not yet in a block
    if (tx.body && tx.final && !tx.in_block) b.transactions.push_back(txid);
  b.hash = block_hash(b);
  Round& r = rounds_.back();
  r.has_proposal = true;
  r.proposal = b;
  chain_event(ChainEventKind::kProposed, &b, height, 0, r.active);
  broadcast(BlockProposal{b, cfg_.ip, 0});
  if (!profile_->consensus.leader_votes_own_block) return;
  votes_.push_back(Vote{height, b.hash, cfg_.ip});
  broadcast(BlockVote{b.hash, height, cfg_.ip, true});
  check_quorum(now, height);
}

// Genesis is the schedule's origin: the block-interval boundary at or before the scenario
// epoch (the model's nodes start on schedule; upstream's is the network's genesis time).
std::uint64_t Node::expected_height(SimTime now) const {
  const std::int64_t interval_s = profile_->timers.block_interval_ns / kSecond;
  const std::int64_t genesis = cfg_.clock_epoch_unix_s - cfg_.clock_epoch_unix_s % interval_s;
  const std::int64_t elapsed = wall_clock_s(now) - genesis;
  return elapsed <= 0 ? 0 : static_cast<std::uint64_t>(elapsed / interval_s);
}

bool Node::catch_up_if_behind(SimTime now, std::uint64_t slack) {
  const std::uint64_t expected = expected_height(now);
  if (chain_.height() + slack >= expected) return false;
  learn_height(now, expected);
  return true;
}

void Node::prune_rounds() {
  const std::uint64_t h = chain_.height();
  std::erase_if(rounds_, [&](const Round& r) { return r.height <= h; });
  std::erase_if(votes_, [&](const Vote& v) { return v.height <= h; });
}

// ---- messages ------------------------------------------------------------------------------

// The planted bug (hunt tests): true for a heartbeat of `address` on an inbound connection
// other than the first one its heartbeats arrived on.
bool Node::ignores_heartbeat_on(ConnId conn, const std::string& address) {
  for (const auto& [addr, first] : first_heartbeat_conn_)
    if (addr == address) return first != conn;
  first_heartbeat_conn_.emplace_back(address, conn);
  return false;
}

void Node::conn_writable(SimTime /*now*/, Conn& c) {
  if (!cfg_.consensus || !profile_->consensus.sends_get_block_height) return;
  send(c, GetBlockHeight{});  // hypothetical: ask each new peer for its height
}

bool Node::handle_consensus(SimTime now, Conn& c, const Message& m) {
  if (const auto* hb = std::get_if<Heartbeat>(&m)) {
    if (profile_->planted_listener_ignores_heartbeats_after_reconnect &&
        c.dir == Direction::kInbound && ignores_heartbeat_on(c.id, hb->masternode_address))
      return true;
    if (cfg_.consensus && hb->masternode_address != cfg_.ip &&
        !registry_.heartbeat(hb->masternode_address, now) &&
        profile_->consensus.registers_heartbeat_senders)
      registry_.register_at(hb->masternode_address, now);
    if (c.dir == Direction::kInbound) relay_heartbeat(c, *hb);  // 341d8f4, if the profile says
  } else if (std::holds_alternative<GetBlockHeight>(m)) {
    if (cfg_.consensus) send(c, BlockHeightResponse{chain_.height()});
  } else if (const auto* hr = std::get_if<BlockHeightResponse>(&m)) {
    if (cfg_.consensus && profile_->consensus.handles_sync_responses) learn_height(now, hr->height);
  } else if (const auto* gb = std::get_if<GetBlocks>(&m)) {
    if (!cfg_.consensus) return true;
    BlocksResponse r;
    const std::uint64_t cap = profile_->timers.max_blocks_per_response;
    const std::uint64_t last = std::min({gb->end, chain_.height(), gb->start + cap - 1});
    for (std::uint64_t h = std::max<std::uint64_t>(gb->start, 1); h <= last; ++h)
      r.blocks.push_back(chain_.at(h));
    send(c, r);
  } else if (const auto* br = std::get_if<BlocksResponse>(&m)) {
    if (cfg_.consensus && profile_->consensus.handles_sync_responses) on_blocks(now, *br);
  } else if (const auto* p = std::get_if<BlockProposal>(&m)) {
    if (cfg_.consensus) on_proposal(now, *p);
    relay_bft(c, m);  // server.rs:716-728, if the profile says
  } else if (const auto* v = std::get_if<BlockVote>(&m)) {
    if (cfg_.consensus) on_vote(now, *v);
    relay_bft(c, m);
  } else if (const auto* cm = std::get_if<BlockCommit>(&m)) {
    if (cfg_.consensus) on_commit_msg(now, *cm);
    relay_bft(c, m);
  } else if (const auto* tb = std::get_if<TransactionBroadcast>(&m)) {
    if (cfg_.consensus) on_tx(now, tb->txid, /*body=*/true, nullptr);
  } else if (const auto* tv = std::get_if<TransactionVote>(&m)) {
    if (cfg_.consensus && tv->approve) on_tx(now, tv->txid, /*body=*/false, &tv->voter);
  } else {
    return false;
  }
  return true;
}

void Node::on_proposal(SimTime now, const BlockProposal& p) {
  const Block& b = p.block;
  if (b.height <= chain_.height()) return;  // already have this height
  if (b.height > chain_.height() + 1) {     // we are behind: fetch what we miss
    if (profile_->consensus.bft_messages_trigger_sync) learn_height(now, b.height - 1);
    return;
  }
  // Upstream handle_proposal: no round started for the height -> rejected; a proposer other
  // than the round's leader -> rejected until the round is older than the grace period.
  auto it = std::find_if(rounds_.begin(), rounds_.end(),
                         [&](const Round& r) { return r.height == b.height; });
  if (it == rounds_.end() || it->has_proposal) return;
  const bool from_leader = p.proposer == it->leader && b.producer == p.proposer;
  if (!from_leader && now - it->started <= profile_->timers.leader_grace_ns) return;
  if (!chain_.extends(b)) return;  // validate_block: wrong parent or hash
  it->has_proposal = true;
  it->proposal = b;
  const std::uint64_t height = b.height;
  votes_.push_back(Vote{height, b.hash, cfg_.ip});
  broadcast(BlockVote{b.hash, height, cfg_.ip, true});
  check_quorum(now, height);
}

void Node::on_vote(SimTime now, const BlockVote& v) {
  if (!v.approve || v.height <= chain_.height()) return;
  // One vote per voter and block (a voter votes again at the same height only for another
  // round's proposal, after a slot without a commit).
  for (const auto& o : votes_)
    if (o.height == v.height && o.block_hash == v.block_hash && o.voter == v.voter) return;
  votes_.push_back(Vote{v.height, v.block_hash, v.voter});
  check_quorum(now, v.height);
}

void Node::check_quorum(SimTime now, std::uint64_t height) {
  if (height != chain_.height() + 1) return;
  auto it = std::find_if(rounds_.begin(), rounds_.end(),
                         [&](const Round& r) { return r.height == height; });
  if (it == rounds_.end() || !it->has_proposal) return;
  const std::uint64_t hash = it->proposal.hash;
  const auto approvals =
      static_cast<std::uint32_t>(std::count_if(votes_.begin(), votes_.end(), [&](const Vote& v) {
        return v.height == height && v.block_hash == hash;
      }));
  if (approvals < quorum_of(it->committee)) return;
  const Block b = it->proposal;
  commit(now, b, approvals, it->active, /*broadcast_commit=*/true);
}

void Node::commit(SimTime now, const Block& b, std::uint32_t votes, std::uint32_t active,
                  bool broadcast_commit) {
  if (!chain_.apply(b)) return;
  apply_block_txs(b);
  chain_event(broadcast_commit ? ChainEventKind::kCommitted : ChainEventKind::kAdopted, &b,
              b.height, votes, active);
  if (broadcast_commit) {
    BlockCommit c;
    c.block_hash = b.hash;
    c.height = b.height;
    for (const auto& v : votes_)
      if (v.height == b.height && v.block_hash == b.hash) c.signers.push_back(v.voter);
    broadcast(c);
  }
  prune_rounds();
  if (syncing_ && chain_.height() >= sync_target_) on_sync_poll(now);
}

void Node::on_commit_msg(SimTime now, const BlockCommit& c) {
  if (c.height <= chain_.height()) return;
  if (c.height == chain_.height() + 1) {
    auto it = std::find_if(rounds_.begin(), rounds_.end(), [&](const Round& r) {
      return r.height == c.height && r.has_proposal && r.proposal.hash == c.block_hash;
    });
    if (it != rounds_.end()) {  // the committee's signatures stand in for our own count
      const Block b = it->proposal;
      commit(now, b, static_cast<std::uint32_t>(c.signers.size()), it->active,
             /*broadcast_commit=*/false);
      return;
    }
  }
  // Committed elsewhere and we lack the block: sync it (hypothetical rule only).
  if (profile_->consensus.bft_messages_trigger_sync) learn_height(now, c.height);
}

// ---- transactions --------------------------------------------------------------------------

void Node::on_submit(SimTime now, std::uint64_t txid) {
  if (!cfg_.consensus) return;
  ChainEvent e;
  e.kind = ChainEventKind::kTxSubmitted;
  e.hash = txid;
  out().push_back(std::move(e));
  broadcast(TransactionBroadcast{txid, wall_clock_s(now)});
  on_tx(now, txid, /*body=*/true, nullptr);
}

// A transaction's body or a vote for it arrived (voter null: the body). A masternode that
// sees a body approves it once and broadcasts the vote; a transaction is final here once
// ceil(2n/3) distinct approvals are counted, n as for blocks.
void Node::on_tx(SimTime now, std::uint64_t txid, bool body, const std::string* voter) {
  TxState& tx = txs_[txid];
  if (tx.in_block && tx.final) return;
  auto add_vote = [&](std::string_view v) {
    if (std::find(tx.voters.begin(), tx.voters.end(), v) == tx.voters.end())
      tx.voters.emplace_back(v);
  };
  const ConsensusRules& rules = profile_->consensus;
  if (body && !tx.body) {
    tx.body = true;
    if (rules.counts_own_tx_vote) add_vote(cfg_.ip);
    broadcast(TransactionVote{txid, cfg_.ip, true, wall_clock_s(now)});
  }
  // consensus.rs:338-344: a vote from an address not registered here is rejected.
  if (voter && (!rules.tx_votes_only_from_registered || registry_.is_registered(*voter, now)))
    add_vote(*voter);
  if (tx.final || !tx.body) return;
  const auto active = static_cast<std::uint32_t>(registry_.active_count(now));
  const std::uint32_t n = committee_size(now, active);
  if (n < rules.min_tx_committee || tx.voters.size() < quorum_of(n)) return;
  tx.final = true;
  ChainEvent e;
  e.kind = ChainEventKind::kTxFinalized;
  e.hash = txid;
  e.votes = static_cast<std::uint32_t>(tx.voters.size());
  e.active = n;
  out().push_back(std::move(e));
}

void Node::apply_block_txs(const Block& b) {
  for (auto txid : b.transactions) {
    TxState& tx = txs_[txid];
    tx.in_block = true;
    tx.body = true;
  }
  // Forget what is settled: final and in a block.
  std::erase_if(txs_, [](const auto& kv) { return kv.second.in_block && kv.second.final; });
}

// ---- sync -----------------------------------------------------------------------------------

void Node::learn_height(SimTime now, std::uint64_t height) {
  if (height <= chain_.height()) return;
  sync_target_ = std::max(sync_target_, height);
  if (syncing_) return;
  syncing_ = true;
  sync_deadline_ = now + profile_->timers.sync_timeout_ns;
  chain_event(ChainEventKind::kSyncStarted, nullptr, sync_target_);
  sync_requests();
  arm(TimerKind::kSyncPoll, 0, sync_at_, now + profile_->timers.sync_poll_interval_ns);
}

void Node::sync_requests() {
  const std::uint64_t start = chain_.height() + 1;
  const std::uint64_t end =
      std::min(sync_target_, chain_.height() + profile_->timers.max_blocks_per_response);
  const std::uint32_t limit = profile_->timers.sync_peers;
  if (profile_->consensus.get_blocks_every_poll) {  // hypothetical: the first writable ones
    std::uint32_t asked = 0;
    for (auto& c : conns_) {
      if (asked == limit) break;
      if (!c.writable) continue;
      send(c, GetBlocks{start, end});
      ++asked;
    }
    return;
  }
  // blockchain.rs:246-253: the first entries of the peer list, each only if a connection
  // to it carries writes (send_to_peer fails otherwise).
  for (std::size_t p = 0; p < cfg_.peers.size() && p < limit; ++p)
    if (Conn* c = writable_conn_to(cfg_.peers[p].ip)) send(*c, GetBlocks{start, end});
}

Node::Conn* Node::writable_conn_to(std::string_view ip) {
  for (auto& c : conns_) {
    if (!c.writable) continue;
    if (c.dir == Direction::kOutbound ? cfg_.peers[c.peer].ip == ip : [&] {
          const std::string r = remote(c);
          return r.size() > ip.size() && r.compare(0, ip.size(), ip) == 0 && r[ip.size()] == ':';
        }())
      return &c;
  }
  return nullptr;
}

void Node::on_sync_poll(SimTime now) {
  if (!syncing_) return;
  if (chain_.height() >= sync_target_) {
    syncing_ = false;
    sync_at_ = kNever;
    chain_event(ChainEventKind::kSyncDone, nullptr, chain_.height());
    return;
  }
  if (now >= sync_deadline_) {
    syncing_ = false;
    sync_at_ = kNever;
    chain_event(ChainEventKind::kSyncGaveUp, nullptr, chain_.height());
    return;
  }
  if (profile_->consensus.get_blocks_every_poll) sync_requests();
  arm(TimerKind::kSyncPoll, 0, sync_at_, now + profile_->timers.sync_poll_interval_ns);
}

void Node::on_blocks(SimTime now, const BlocksResponse& r) {
  bool applied = false;
  for (const auto& b : r.blocks) {
    if (!chain_.apply(b)) continue;
    apply_block_txs(b);
    applied = true;
    chain_event(ChainEventKind::kSynced, &b, b.height);
  }
  if (!applied) return;
  prune_rounds();
  if (syncing_ && chain_.height() >= sync_target_) on_sync_poll(now);
}

}  // namespace ts::node
