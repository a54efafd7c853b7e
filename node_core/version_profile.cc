#include "node_core/version_profile.h"

#include <array>

namespace ts::node {
namespace {

constexpr VersionProfile make_pre_fix() {
  VersionProfile p;
  p.name = "pre-fix";
  p.commit = "ea701a4";
  p.description = "outbound sends Ping with no Handshake; drops non-ping/pong silently";
  return p;
}

constexpr VersionProfile make_logging_fix() {
  VersionProfile p = make_pre_fix();
  p.name = "logging-fix";
  p.base = "pre-fix";
  p.commit = "b5513be";
  p.description =
      "as pre-fix, but logs the non-ping/pong messages it still drops and unregisters the "
      "peer's IP when an outbound connection ends";
  p.outbound_logs_dropped_messages = true;
  p.outbound_close_unregisters_ip = true;
  return p;
}

constexpr VersionProfile make_post_fix() {
  VersionProfile p = make_logging_fix();
  p.name = "post-fix";
  p.base = "logging-fix";
  p.commit = "31ad283";
  p.description = "outbound sends Handshake (network \"mainnet\") then Ping; still drops the rest";
  p.sends_handshake_first = true;
  return p;
}

// 31ad283 plus the later outbound fixes: 505b8a3 (outbound connections handle every message)
// and 51218aa (outbound connections receive broadcasts for writing). Only those two switches
// differ from post-fix; the consensus rules stay 31ad283's (51218aa's own consensus is a
// rewrite - avalanche.rs, tsdc.rs - that the model does not have; docs/fidelity.md).
constexpr VersionProfile make_full_outbound() {
  VersionProfile p = make_post_fix();
  p.name = "full-outbound";
  p.base = "post-fix";
  p.commit = "51218aa";
  p.description = "as post-fix, but outbound handles every message and carries broadcasts";
  p.outbound_handles_all_messages = true;
  p.outbound_writes_broadcasts = true;
  p.max_line_bytes = 2'000'000;  // server.rs MAX_MESSAGE_SIZE at 51218aa
  return p;
}

// HYPOTHETICAL: no upstream commit behaves like this. full-outbound's transport with the
// model's idealised consensus from before issue 15: every node opens a round at its slot,
// the BFT leader proposes and votes, every masternode heard is registered, activity is
// judged at every read, sync asks for heights and applies BlocksResponse.
constexpr VersionProfile make_hypothetical_ideal() {
  VersionProfile p = make_full_outbound();
  p.name = "hypothetical-ideal-consensus";
  p.base = "full-outbound";
  p.commit = "none";
  p.description = "HYPOTHETICAL: full-outbound transport with idealised consensus and sync";
  ConsensusRules& c = p.consensus;
  c.proposer = ConsensusRules::Proposer::kBftLeaderEveryNode;
  c.leader_votes_own_block = true;
  c.sends_get_block_height = true;
  c.handles_sync_responses = true;
  c.registers_heartbeat_senders = true;
  c.counts_own_tx_vote = true;
  c.tx_votes_only_from_registered = false;
  c.min_tx_committee = 3;
  c.catchup_when_behind_schedule = false;
  c.get_blocks_every_poll = true;
  c.bft_messages_trigger_sync = true;
  c.offline_check_interval_ns = 0;
  c.remove_after_ns = 0;
  return p;
}

// A planted bug, not a version: hypothetical-ideal-consensus plus a switch no upstream commit has,
// for tests/hunt_test.cc to show that `timesim hunt` finds a bug and shrinks its schedule.
constexpr VersionProfile make_planted_bug_drop_heartbeats() {
  VersionProfile p = make_hypothetical_ideal();
  p.name = "planted-bug-drop-heartbeats";
  p.base = "hypothetical-ideal-consensus";
  p.commit = "planted";
  p.description =
      "PLANTED BUG for hunt tests: hypothetical-ideal-consensus, but a listener ignores heartbeats "
      "arriving on "
      "a reconnected inbound connection";
  p.planted_listener_ignores_heartbeats_after_reconnect = true;
  return p;
}

constexpr std::array<VersionProfile, 6> kProfiles = {
    make_pre_fix(),       make_logging_fix(),        make_post_fix(),
    make_full_outbound(), make_hypothetical_ideal(), make_planted_bug_drop_heartbeats()};

}  // namespace

std::span<const VersionProfile> all_profiles() {
  return kProfiles;
}

const VersionProfile* find_profile(std::string_view name) {
  for (const auto& p : kProfiles)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace ts::node
