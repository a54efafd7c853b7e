// The networking history of time-coin/time-masternode after the incident, Dec 2025 - Feb
// 2026: one profile per upstream commit that changed network behaviour, each the previous
// one plus what its commit changed (docs/history-facts.md has the per-commit facts with
// file:line; docs/fidelity.md maps each field to its source). Commits the upstream history
// interleaves ("+ abc1234" in a description) are folded into the next listed one, in
// topological order. Included by version_profile.cc only.
//
// Consensus: 6e08456 (12-22) replaces the BFT messages with Avalanche/TSDC, which the model
// does not have. From there on `wire.bft` is false, so these builds send no BlockProposal and
// the model commits no block: "no blocks" in their rows means "consensus not modelled".
#pragma once

#include "node_core/version_profile.h"

namespace ts::node::history {

constexpr VersionProfile next(const VersionProfile& base, std::string_view name,
                              std::string_view commit, std::string_view description) {
  VersionProfile p = base;
  p.name = name;
  p.base = base.name;
  p.commit = commit;
  p.description = description;
  return p;
}

// 3fcccde (12-21, client.rs, peer_connection.rs, main.rs), with e1a6086/83a8800/b812e57 and
// f0b577d before it: announcements at start-up and every 60 s, GetMasternodes every 60 s,
// the listener registers MasternodesResponse entries; 4f6ad57's limiter keys vote 500/1 s and
// block 100/1 s (excess dropped). The dialer still drops all but Ping/Pong (3fcccde only logs).
constexpr VersionProfile registry_loop(const VersionProfile& post_fix) {
  VersionProfile p =
      next(post_fix, "registry-loop", "3fcccde",
           "announcements at start and every 60 s, GetMasternodes every 60 s; the listener "
           "registers masternode lists; the dialer still drops them (+e1a6086, f0b577d, 4f6ad57)");
  p.gossip.announce_at_start = true;
  p.gossip.announce_every_heartbeat = true;
  p.gossip.get_masternodes_every_heartbeat = true;
  p.gossip.listener_registers_masternode_lists = true;
  p.gossip.masternode_peers = MasternodePeers::kRegistryActive;  // client.rs:85 list_active()
  p.inbound.rate[static_cast<std::size_t>(RateBucket::kVote)] = {500, kSecond};
  p.inbound.rate[static_cast<std::size_t>(RateBucket::kBlock)] = {100, kSecond};
  return p;
}

// f9f913d (12-21, server.rs:338-363): after the handshake the listener sends Ack, one
// announcement per registered masternode, GetPeers, GetMasternodes.
constexpr VersionProfile announce_on_connect(const VersionProfile& b) {
  VersionProfile p = next(b, "announce-on-connect", "f9f913d",
                          "the listener sends every masternode announcement and GetMasternodes "
                          "after the handshake");
  p.gossip.on_connect_announce = OnConnectAnnounce::kAll;
  p.gossip.on_connect_get_masternodes = true;
  return p;
}

// 341d8f4 (12-23, server.rs:688-703): heartbeats relayed unconditionally. Folded in: 6e08456
// (BFT variants removed), 1f246fd (duplicate inbound always accepted; its no-op writes until
// 830e98b/925de6b are not modelled), 80b5edf (the dialer registers announcements and lists).
constexpr VersionProfile heartbeat_relay(const VersionProfile& b) {
  VersionProfile p =
      next(b, "heartbeat-relay", "341d8f4",
           "the listener relays every heartbeat; BFT messages gone; the dialer "
           "registers masternodes; duplicates accepted (+6e08456, 1f246fd, 80b5edf)");
  p.gossip.relays_heartbeats = true;
  p.gossip.outbound_handles_masternodes = true;
  p.wire.bft = false;
  p.broadcast.relay_bft = false;  // 6e08456 deleted the relay handler with the variants
  p.conn.duplicate = DuplicatePolicy::kAccept;
  return p;
}

// 346590a (12-23, client.rs:106, :218, :316, :384; peer_connection_registry.rs:80-101).
constexpr VersionProfile octet_dial_rule(const VersionProfile& b) {
  VersionProfile p = next(b, "octet-dial-rule", "346590a",
                          "dial rule: the numerically higher IPv4 dials (+925de6b, 1276436)");
  p.dial_rule = DialRule::kOctetsHigher;
  return p;
}

// 35af045 (12-24, peer_connection.rs:338, :443): the dialer's writer is registered.
constexpr VersionProfile dialer_writer(const VersionProfile& b) {
  VersionProfile p = next(b, "dialer-writer", "35af045",
                          "the dialer's writer is registered: broadcasts reach outbound "
                          "connections");
  p.outbound_writes_broadcasts = true;
  return p;
}

// 9fc70f4 (12-24, client.rs): the dial rule is removed; 467a0f6: the dialer handles blocks.
constexpr VersionProfile both_dial(const VersionProfile& b) {
  VersionProfile p = next(b, "both-dial", "9fc70f4",
                          "no dial rule: both sides dial; the dialer handles blocks (+467a0f6)");
  p.dial_rule = DialRule::kBoth;
  p.gossip.outbound_handles_blocks = true;
  return p;
}

// 344e7e0 (12-26): rate limits as violations (rate_limiter.rs:19-34, server.rs:492-516),
// connection limits (connection_manager.rs:13-18), the listener's 2 MB line check
// (server.rs:278, :348-366).
constexpr VersionProfile dos_protection(const VersionProfile& b) {
  VersionProfile p = next(b, "dos-protection", "344e7e0",
                          "rate limits (excess = violation), connection limits, 2 MB listener "
                          "line cap");
  auto& r = p.inbound.rate;
  r[static_cast<std::size_t>(RateBucket::kTx)] = {50, kSecond};
  r[static_cast<std::size_t>(RateBucket::kVote)] = {100, kSecond};
  r[static_cast<std::size_t>(RateBucket::kBlock)] = {10, kSecond};
  r[static_cast<std::size_t>(RateBucket::kGetBlocks)] = {5, seconds(10)};
  r[static_cast<std::size_t>(RateBucket::kGetPeers)] = {5, seconds(60)};
  r[static_cast<std::size_t>(RateBucket::kMasternodeAnnounce)] = {1, seconds(300)};
  r[static_cast<std::size_t>(RateBucket::kPing)] = {2, seconds(10)};
  p.inbound.block_vote_is_vote = true;
  p.inbound.excess_is_violation = true;
  p.inbound.cleanup_keep_windows = 10;
  p.inbound.cleanup_interval_ns = seconds(10);
  p.inbound.line_limit = LineLimitMode::kListenerViolation;
  p.max_line_bytes = 2'000'000;
  p.conn.limits.max_total = 125;
  p.conn.limits.max_inbound = 100;
  p.conn.limits.max_per_ip = 3;
  p.conn.limits.max_new_inbound = 10;
  return p;
}

// a896294 (12-27, rate_limiter.rs:29-30, main.rs:484-493): announce 3/60 s, no periodic
// announcement. Folded in: ae360c0 (own announcement on connect), 7aebaea (the dialer
// answers GetBlocks).
constexpr VersionProfile ban_storm_fix(const VersionProfile& b) {
  VersionProfile p = next(b, "ban-storm-fix", "a896294",
                          "announce limit 3/60 s, periodic announcement removed; own "
                          "announcement on connect; the dialer answers GetBlocks (+ae360c0, "
                          "7aebaea)");
  p.inbound.rate[static_cast<std::size_t>(RateBucket::kMasternodeAnnounce)] = {3, seconds(60)};
  p.gossip.announce_every_heartbeat = false;
  p.gossip.on_connect_announce = OnConnectAnnounce::kOwn;
  p.gossip.outbound_handles_get_blocks = true;
  return p;
}

// a2e03f1 (12-30, peer_connection.rs:150, :180): the dialer's BufReader is 1 MiB. read_line
// reads to '\n' whatever the capacity: no modelled behaviour changes.
constexpr VersionProfile buffer_size(const VersionProfile& b) {
  return next(b, "buffer-size", "a2e03f1",
              "dialer BufReader 1 MiB: framing unchanged, no modelled change");
}

// 53ac100 (12-31, server.rs:1488-1545): concatenated JSON on the listener.
constexpr VersionProfile concat_json(const VersionProfile& b) {
  VersionProfile p = next(b, "concat-json", "53ac100",
                          "listener discards concatenated JSON objects without a violation");
  p.inbound.split_concatenated_json = true;
  return p;
}

// 126d7ee (12-31, client.rs:524, :568, :622; masternode_registry.rs:329).
constexpr VersionProfile inactive_on_disconnect(const VersionProfile& b) {
  VersionProfile p = next(b, "mn-inactive-on-disconnect", "126d7ee",
                          "a masternode is marked inactive when its dial fails or its session "
                          "ends");
  p.gossip.inactive_on_disconnect = true;
  return p;
}

// 546a294 (01-02, peer_connection.rs:381-392): whitelisted peers never time out. Folded in:
// a875f42/f6bc796 (blacklist whitelist: never banned), dbd804d/c953222 (get_blocks 100/10 s).
constexpr VersionProfile whitelist_no_timeout(const VersionProfile& b) {
  VersionProfile p = next(b, "whitelist-no-timeout", "546a294",
                          "whitelisted peers are never banned and never time out; get_blocks "
                          "100/10 s (+a875f42, c953222)");
  p.blacklist.whitelist_exempt = true;
  p.dialer.whitelist_source = WhitelistSource::kConfig;
  p.dialer.whitelisted_pong = WhitelistedPong::kResetClear;
  p.inbound.rate[static_cast<std::size_t>(RateBucket::kGetBlocks)] = {100, seconds(10)};
  return p;
}

// fae8ba7 (01-02, peer_connection.rs:86-88): no nonce cap; pings older than 90 s purged at
// each send. Which of the 10 s check and the purge sees a ping exactly 90 s old first is
// tokio select!'s random choice: 50 % (docs/fidelity.md).
constexpr VersionProfile no_nonce_limit(const VersionProfile& b) {
  VersionProfile p = next(b, "no-nonce-limit", "fae8ba7",
                          "no pending-ping cap; pings older than 90 s purged at each send");
  p.pending_ping_limit = 0;
  p.dialer.purge_after_ns = seconds(90);
  p.dialer.purge_edge_percent = 50;
  p.dialer.whitelisted_pong = WhitelistedPong::kReset;
  return p;
}

// 083e136 (01-02, client.rs:620-632): the dialer reserves the IP before dialing. Folded in:
// d6b4383 (the listener rejects any duplicate, server.rs:432-439).
constexpr VersionProfile reserve_before_dial(const VersionProfile& b) {
  VersionProfile p = next(b, "reserve-before-dial", "083e136",
                          "the dialer reserves the IP before dialing; the listener rejects any "
                          "duplicate (+d6b4383)");
  p.conn.dialer_reserves_ip = true;
  p.conn.duplicate = DuplicatePolicy::kReject;
  return p;
}

// 79645be (01-03, client.rs:497-551, peer_connection.rs:177-182, :414-446,
// connection_manager.rs:17-18, :80-138): masternode reconnect class, whitelisted pong
// timeout 180 s x 6 (the dial's masternode flag), whitelist bypass, 75 regular.
constexpr VersionProfile masternode_protection(const VersionProfile& b) {
  VersionProfile p = next(b, "mn-protection", "79645be",
                          "masternode dials: 2 s after a session, back-off 4 s x2 to 60 s, give "
                          "up at 50; pong 180 s x 6 for them; whitelist bypasses limits");
  p.dialer.masternode_reconnect_delay_ns = seconds(2);
  p.dialer.masternode_backoff_initial_ns = seconds(4);
  p.dialer.masternode_backoff_max_ns = seconds(60);
  p.timers.max_dial_failures_masternode = 50;
  p.dialer.whitelist_source = WhitelistSource::kMasternodeFlag;
  p.dialer.whitelisted_pong = WhitelistedPong::kClose;
  p.dialer.whitelisted_pong_timeout_ns = seconds(180);
  p.dialer.whitelisted_max_missed = 6;
  p.conn.limits.max_regular = 75;
  p.conn.limits.whitelist_bypass = true;
  return p;
}

// 23cebb4 (01-13, peer_connection.rs:277-282, :600-622; client.rs:101, :329): pong 300 s x
// 10, whitelisted unchecked, every registered masternode dialled. Folded in: 4a84431 (cap
// 100, drop 50, purge at 120 s), a1f6703/808d30a (duplicates accepted again).
constexpr VersionProfile pong_300s(const VersionProfile& b) {
  VersionProfile p = next(b, "pong-300s", "23cebb4",
                          "pong timeout 300 s x 10 (never reached: pings purged at 120 s); "
                          "every registered masternode dialled (+4a84431, 808d30a)");
  p.timers.ping_timeout_ns = seconds(300);
  p.timers.max_missed_pongs = 10;
  p.dialer.whitelisted_pong = WhitelistedPong::kUnchecked;
  p.gossip.masternode_peers = MasternodePeers::kRegistryAll;
  p.pending_ping_limit = 100;
  p.dialer.pending_drop = 50;
  p.dialer.purge_after_ns = seconds(120);
  p.dialer.purge_edge_percent = 0;  // 120 s is never on the 10 s check's grid edge first
  p.conn.duplicate = DuplicatePolicy::kAccept;
  return p;
}

// b8a9d18 (01-13, client.rs:539-623, ai/adaptive_reconnection.rs:97-383). Folded in:
// fed4376 (the dialer processes heartbeats).
constexpr VersionProfile adaptive_reconnect(const VersionProfile& b) {
  VersionProfile p = next(b, "adaptive-reconnect", "b8a9d18",
                          "adaptive reconnection delays, 600 s cooldown after 10 failures; the "
                          "dialer processes heartbeats (+fed4376)");
  p.dialer.reconnect_scheme = ReconnectScheme::kAdaptive;
  p.dialer.cooldown_after_failures = 10;
  p.dialer.cooldown_ns = seconds(600);
  p.gossip.outbound_handles_heartbeats = true;
  return p;
}

// 505b8a3 (01-22, peer_connection.rs:992-1085): the dialer hands every message to
// MessageHandler. Folded in: 6df971e (heartbeats removed: the variant is gone, nothing is
// relayed; GetMasternodes stays every 60 s). It answers GetPeers with
// its connected peers. 969bd4b's status gossip is not modelled.
constexpr VersionProfile dialer_message_handler(const VersionProfile& b) {
  VersionProfile p = next(b, "dialer-message-handler", "505b8a3",
                          "the dialer handles every message; heartbeats removed (+6df971e)");
  p.outbound_handles_all_messages = true;
  p.wire.heartbeat = false;
  p.gossip.relays_heartbeats = false;
  p.pex.dialer_answer = PexAnswer::kConnected;  // message_handler.rs:1358-1381
  return p;
}

// 51218aa (01-22, client.rs:706-707, peer_connection.rs:2405-2416): the dialer subscribes to
// the server's broadcast channel. The model has one broadcast path, which dialer
// connections have carried since 35af045: no modelled change (docs/fidelity.md).
constexpr VersionProfile dialer_broadcasts(const VersionProfile& b) {
  return next(b, "dialer-broadcasts", "51218aa",
              "the dialer receives the server's broadcast channel (the model's one broadcast "
              "path already reaches it)");
}

// 34bcf6e (02-09, network/wire.rs, tls.rs, server.rs:500-640): TLS + length-prefixed bincode.
// Folded in: f673ee8 (periodic announcements back). The 2 MB line check is gone; a frame
// or decode error ends the connection without a violation.
constexpr VersionProfile tls_bincode(const VersionProfile& b) {
  VersionProfile p = next(b, "tls-bincode", "34bcf6e",
                          "length-prefixed frames (4 MiB), read errors close without a "
                          "violation; periodic announcements again (+f673ee8)");
  p.wire.framing = Framing::kLengthPrefixed;
  p.wire.max_frame_bytes = 4 * 1024 * 1024;
  p.inbound.line_limit = LineLimitMode::kClose;
  p.inbound.parse_error = ParseErrorMode::kClose;
  p.inbound.split_concatenated_json = false;
  p.gossip.announce_every_heartbeat = true;
  return p;
}

// 7965e88 (02-09, peer_connection_registry.rs:543-575): an occupied entry rejects an inbound.
constexpr VersionProfile reject_inbound_if_outbound(const VersionProfile& b) {
  VersionProfile p = next(b, "reject-inbound-if-outbound", "7965e88",
                          "an inbound from an IP with a connection (either direction) is "
                          "rejected");
  p.conn.duplicate = DuplicatePolicy::kReject;
  return p;
}

// c55ddd8 (02-11, peer_connection.rs:344-349): a 10 s connect timeout.
constexpr VersionProfile connect_timeout(const VersionProfile& b) {
  VersionProfile p = next(b, "connect-timeout", "c55ddd8", "dials time out after 10 s");
  p.timers.connect_timeout_ns = seconds(10);
  return p;
}

// a122294 (02-18, peer_connection.rs:992-994, network_type.rs:20-21): the handshake's network
// from config ("testnet" on port 24100, magic "TIME"). Folded in: 45404fc (an undecodable
// payload is skipped), 2e978a0 (no 5 s gate for announcements).
constexpr VersionProfile network_from_config(const VersionProfile& b) {
  VersionProfile p = next(b, "network-from-config", "a122294",
                          "the handshake names the configured network (testnet); undecodable "
                          "payloads skipped (+45404fc, 2e978a0)");
  p.handshake_network = "testnet";
  p.wire.skip_undecodable = true;
  p.inbound.parse_error = ParseErrorMode::kSkip;
  p.gossip.announce_min_connection_age_ns = 0;
  return p;
}

// 49f500d (02-24, ai/adaptive_reconnection.rs:104): cooldown after 3 failures. Folded in:
// 4233e37 (octet tie-break for simultaneous connections).
constexpr VersionProfile cooldown_after_3(const VersionProfile& b) {
  VersionProfile p = next(b, "cooldown-after-3", "49f500d",
                          "cooldown after 3 failed dials; simultaneous connections resolved by "
                          "octets (+4233e37)");
  p.dialer.cooldown_after_failures = 3;
  p.conn.duplicate = DuplicatePolicy::kTieBreakOutbound;
  return p;
}

}  // namespace ts::node::history
