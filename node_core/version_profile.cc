#include "node_core/version_profile.h"

#include <array>

#include "node_core/history_profiles.h"

namespace ts::node {
namespace {

constexpr VersionProfile make_pre_fix() {
  VersionProfile p;
  p.name = "pre-fix";
  p.commit = "ea701a4";
  p.description = "outbound sends Ping with no Handshake; drops non-ping/pong silently";
  p.broadcast.relay_bft = true;  // server.rs:716-728 at ea701a4, b5513be, 31ad283
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

// HYPOTHETICAL: no upstream commit behaves like this. 31ad283 with only the two outbound
// switches of the later fixes turned on (505b8a3: outbound handles every message; 51218aa:
// outbound carries broadcasts) and the incident commits' consensus. What 51218aa really does
// is the history profile `dialer-broadcasts` (node_core/history_profiles.h).
constexpr VersionProfile make_full_outbound() {
  VersionProfile p = make_post_fix();
  p.name = "hypothetical-full-outbound";
  p.base = "post-fix";
  p.commit = "none";
  p.description =
      "HYPOTHETICAL: post-fix, but outbound handles every message and carries broadcasts";
  p.outbound_handles_all_messages = true;
  p.outbound_writes_broadcasts = true;
  p.max_line_bytes = 2'000'000;   // server.rs MAX_MESSAGE_SIZE at 51218aa
  p.broadcast.relay_bft = false;  // the later transport: 6e08456 removed the relay
  return p;
}

// HYPOTHETICAL: no upstream commit behaves like this. hypothetical-full-outbound's transport with
// the model's idealised consensus from before issue 15: every node opens a round at its slot, the
// BFT leader proposes and votes, every masternode heard is registered, activity is judged at every
// read, sync asks for heights and applies BlocksResponse.
constexpr VersionProfile make_hypothetical_ideal() {
  VersionProfile p = make_full_outbound();
  p.name = "hypothetical-ideal-consensus";
  p.base = "hypothetical-full-outbound";
  p.commit = "none";
  p.description =
      "HYPOTHETICAL: hypothetical-full-outbound transport with idealised consensus and sync";
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

// The networking history after the incident, oldest first, each built on the previous one.
constexpr std::array<VersionProfile, 24> make_history() {
  using namespace history;
  std::array<VersionProfile, 24> h{};
  std::size_t i = 0;
  h[i] = registry_loop(make_post_fix());
  for (auto step : {announce_on_connect,
                    heartbeat_relay,
                    octet_dial_rule,
                    dialer_writer,
                    both_dial,
                    dos_protection,
                    ban_storm_fix,
                    buffer_size,
                    concat_json,
                    inactive_on_disconnect,
                    whitelist_no_timeout,
                    no_nonce_limit,
                    reserve_before_dial,
                    masternode_protection,
                    pong_300s,
                    adaptive_reconnect,
                    dialer_message_handler,
                    dialer_broadcasts,
                    tls_bincode,
                    reject_inbound_if_outbound,
                    connect_timeout,
                    network_from_config,
                    cooldown_after_3}) {
    h[i + 1] = step(h[i]);
    ++i;
  }
  return h;
}
constexpr auto kHistory = make_history();

constexpr auto make_all() {
  std::array<VersionProfile, 3 + kHistory.size() + 3> all{};
  std::size_t i = 0;
  for (const auto& p : {make_pre_fix(), make_logging_fix(), make_post_fix()})
    all[i++] = p;
  for (const auto& p : kHistory)
    all[i++] = p;
  for (const auto& p :
       {make_full_outbound(), make_hypothetical_ideal(), make_planted_bug_drop_heartbeats()})
    all[i++] = p;
  return all;
}
constexpr auto kProfiles = make_all();

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
