#include "node_core/profile_fields.h"

#include <array>

namespace ts::node {
namespace {

// get/set of a member of VersionProfile (`Top`) or of its ProtocolTimers (`Timer`), through
// the member's own type: bool, std::uint32_t / std::uint64_t (counts, bytes), Duration or
// std::string_view.
template <typename T>
FieldValue wrap(const T& v) {
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string_view>)
    return FieldValue(v);
  else if constexpr (std::is_same_v<T, Duration>)
    return FieldValue(std::in_place_type<Duration>, v);
  else
    return FieldValue(std::in_place_type<std::uint64_t>, static_cast<std::uint64_t>(v));
}
template <typename T>
void unwrap(T& out, const FieldValue& v) {
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string_view> ||
                std::is_same_v<T, Duration>)
    out = std::get<T>(v);
  else
    out = static_cast<T>(std::get<std::uint64_t>(v));
}

template <auto Member>
struct Top {
  static FieldValue get(const VersionProfile& p) { return wrap(p.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.*Member, v); }
};
template <auto Member>
struct Timer {
  static FieldValue get(const VersionProfile& p) { return wrap(p.timers.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.timers.*Member, v); }
};

template <auto Member>
struct Rule {
  static FieldValue get(const VersionProfile& p) { return wrap(p.consensus.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.consensus.*Member, v); }
};
// ConsensusRules::proposer, a two-valued enum, as a switch.
struct EveryNodeRound {
  static FieldValue get(const VersionProfile& p) {
    return FieldValue(p.consensus.proposer == ConsensusRules::Proposer::kBftLeaderEveryNode);
  }
  static void set(VersionProfile& p, const FieldValue& v) {
    p.consensus.proposer = std::get<bool>(v) ? ConsensusRules::Proposer::kBftLeaderEveryNode
                                             : ConsensusRules::Proposer::kMainRsProducer;
  }
};

template <auto Member>
struct Wire {
  static FieldValue get(const VersionProfile& p) { return wrap(p.wire.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.wire.*Member, v); }
};

struct WireFraming {
  static FieldValue get(const VersionProfile& p) {
    return enum_value(p.wire.framing, kFramingNames);
  }
  static void set(VersionProfile& p, const FieldValue& v) {
    enum_from_value(p.wire.framing, v, kFramingNames);
  }
};

template <auto Member>
struct Blacklist {
  static FieldValue get(const VersionProfile& p) { return wrap(p.blacklist.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.blacklist.*Member, v); }
};
// Step `I` of the blacklist ladder.
template <std::size_t I, auto Member>
struct BanLadder {
  static FieldValue get(const VersionProfile& p) { return wrap(p.blacklist.ladder[I].*Member); }
  static void set(VersionProfile& p, const FieldValue& v) {
    unwrap(p.blacklist.ladder[I].*Member, v);
  }
};
template <auto Member>
struct Dialer {
  static FieldValue get(const VersionProfile& p) { return wrap(p.dialer.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.dialer.*Member, v); }
};
template <auto Member, const auto& Names>
struct DialerEnum {
  static FieldValue get(const VersionProfile& p) { return enum_value(p.dialer.*Member, Names); }
  static void set(VersionProfile& p, const FieldValue& v) {
    enum_from_value(p.dialer.*Member, v, Names);
  }
};

template <auto Member>
struct Keepalive {
  static FieldValue get(const VersionProfile& p) { return wrap(p.inbound_keepalive.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) {
    unwrap(p.inbound_keepalive.*Member, v);
  }
};

template <auto Member>
struct Inbound {
  static FieldValue get(const VersionProfile& p) { return wrap(p.inbound.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.inbound.*Member, v); }
};
// Bucket `B`'s rate limit.
template <RateBucket B, auto Member>
struct Rate {
  static FieldValue get(const VersionProfile& p) {
    return wrap(p.inbound.rate[static_cast<std::size_t>(B)].*Member);
  }
  static void set(VersionProfile& p, const FieldValue& v) {
    unwrap(p.inbound.rate[static_cast<std::size_t>(B)].*Member, v);
  }
};
// An enum member of InboundPolicy, with its names in value order.
template <auto Member, const auto& Names>
struct InboundEnum {
  static FieldValue get(const VersionProfile& p) { return enum_value(p.inbound.*Member, Names); }
  static void set(VersionProfile& p, const FieldValue& v) {
    enum_from_value(p.inbound.*Member, v, Names);
  }
};

template <auto Member>
struct Gossip {
  static FieldValue get(const VersionProfile& p) { return wrap(p.gossip.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.gossip.*Member, v); }
};
// An enum member of GossipPolicy, with its names in value order.
template <auto Member, const auto& Names>
struct GossipEnum {
  static FieldValue get(const VersionProfile& p) { return enum_value(p.gossip.*Member, Names); }
  static void set(VersionProfile& p, const FieldValue& v) {
    enum_from_value(p.gossip.*Member, v, Names);
  }
};

template <auto Member>
struct ConnField {
  static FieldValue get(const VersionProfile& p) { return wrap(p.conn.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.conn.*Member, v); }
};
template <auto Member>
struct ConnLimit {
  static FieldValue get(const VersionProfile& p) { return wrap(p.conn.limits.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.conn.limits.*Member, v); }
};
template <auto Member, const auto& Names>
struct ConnEnum {
  static FieldValue get(const VersionProfile& p) { return enum_value(p.conn.*Member, Names); }
  static void set(VersionProfile& p, const FieldValue& v) {
    enum_from_value(p.conn.*Member, v, Names);
  }
};

template <auto Member>
struct Broadcast {
  static FieldValue get(const VersionProfile& p) { return wrap(p.broadcast.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.broadcast.*Member, v); }
};

template <auto Member>
struct Pex {
  static FieldValue get(const VersionProfile& p) { return wrap(p.pex.*Member); }
  static void set(VersionProfile& p, const FieldValue& v) { unwrap(p.pex.*Member, v); }
};
struct PexDialerAnswer {
  static FieldValue get(const VersionProfile& p) {
    return enum_value(p.pex.dialer_answer, kPexAnswerNames);
  }
  static void set(VersionProfile& p, const FieldValue& v) {
    enum_from_value(p.pex.dialer_answer, v, kPexAnswerNames);
  }
};

using VP = VersionProfile;
using PT = ProtocolTimers;
using CR = ConsensusRules;
using BP = BlacklistPolicy;
using KA = KeepaliveConfig;
using DP = DialerPolicy;
using IP = InboundPolicy;
using RB = RateBucket;
using GP = GossipPolicy;
using AL = AdmissionLimits;
constexpr auto kBool = FieldType::kBool;
constexpr auto kCount = FieldType::kCount;
constexpr auto kDur = FieldType::kDuration;
constexpr auto kBytes = FieldType::kBytes;
constexpr auto kString = FieldType::kString;

template <typename Access>
constexpr ProfileField field(std::string_view key, FieldType type, std::int64_t min,
                             std::string_view doc) {
  return {key, type, min, doc, &Access::get, &Access::set, false};
}
// An enum field: `choices` are its names in the enum's order (static storage).
template <typename Access>
constexpr ProfileField enum_field(std::string_view key, std::span<const std::string_view> choices,
                                  std::string_view doc) {
  return {key, FieldType::kEnum, 0, doc, &Access::get, &Access::set, false, choices};
}
// A duration field that may also be `none` (kNever).
template <typename Access>
constexpr ProfileField duration_or_none(std::string_view key, std::int64_t min,
                                        std::string_view doc) {
  return {key, FieldType::kDuration, min, doc, &Access::get, &Access::set, true};
}

// An enum member of VersionProfile, with its names in value order.
template <auto Member, const auto& Names>
struct TopEnum {
  static FieldValue get(const VersionProfile& p) { return enum_value(p.*Member, Names); }
  static void set(VersionProfile& p, const FieldValue& v) { enum_from_value(p.*Member, v, Names); }
};

// One line per field. min: the smallest valid value (1 ns for every timer: a zero interval
// would fire without end at one instant).
constexpr std::array kFields = {
    enum_field<TopEnum<&VP::dial_rule, kDialRuleNames>>(
        "dial_rule", kDialRuleNames,
        "who dials: string-lower (own IP < peer's as text), octets-higher (346590a), both "
        "(9fc70f4)"),
    field<Top<&VP::sends_handshake_first>>("handshake.first", kBool, 0,
                                           "outbound sends Handshake before its first Ping"),
    field<Top<&VP::handshake_network>>("handshake.network", kString, 0,
                                       "the `network` field of that Handshake"),
    enum_field<TopEnum<&VP::handshake_magic, kHandshakeMagicNames>>(
        "handshake.magic", kHandshakeMagicNames,
        "the magic sent and required: TIME, or C01D7E4D (mainnet from a122294)"),
    field<Wire<&WireFormat::bft>>(
        "wire.bft", kBool, 0,
        "BlockProposal/BlockVote/BlockCommit exist (removed in 6e08456: unknown variants)"),
    field<Wire<&WireFormat::heartbeat>>("wire.heartbeat", kBool, 0,
                                        "HeartbeatBroadcast exists (removed in 6df971e)"),
    enum_field<WireFraming>("wire.framing", kFramingNames,
                            "ndjson lines, or length-prefixed frames (34bcf6e: u32 BE length)"),
    field<Wire<&WireFormat::max_frame_bytes>>(
        "wire.max_frame", kBytes, 1, "length-prefixed: a longer frame ends the connection"),
    field<Wire<&WireFormat::skip_undecodable>>(
        "wire.skip_undecodable", kBool, 0,
        "length-prefixed: an undecodable payload is skipped (45404fc), else the connection ends"),
    field<Top<&VP::outbound_handles_all_messages>>(
        "outbound.handles_all", kBool, 0,
        "outbound handles every message (else all but Ping/Pong are dropped)"),
    field<Top<&VP::outbound_logs_dropped_messages>>(
        "outbound.logs_dropped", kBool, 0, "outbound logs the messages it drops (no wire change)"),
    field<Top<&VP::outbound_writes_broadcasts>>(
        "outbound.writes_broadcasts", kBool, 0,
        "outbound connections are registered for broadcasts"),
    field<Top<&VP::max_line_bytes>>("max_line", kBytes, 0,
                                    "longest accepted line in bytes; 0 = unlimited"),
    field<Top<&VP::invalid_utf8_ends_connection>>(
        "invalid_utf8_ends_connection", kBool, 0,
        "a line that is not UTF-8 ends the connection on either side (no violation)"),
    field<Top<&VP::max_peers>>("max_peers", kCount, 1,
                               "config max_peers: a pass reads the first clamp(40 %, 20, 30) "
                               "masternodes and the first max_peers - connected peers"),
    field<Top<&VP::remote_masternodes_active>>(
        "remote_masternodes_active", kBool, 0,
        "remote masternodes are dialled by the masternode branches (give-up limit, 120 s pass)"),
    field<Top<&VP::planted_listener_ignores_heartbeats_after_reconnect>>(
        "planted.ignore_heartbeats_after_reconnect", kBool, 0,
        "PLANTED BUG (no upstream commit; for hunt tests): a listener ignores heartbeats on a "
        "reconnected inbound connection"),
    field<Top<&VP::outbound_close_unregisters_ip>>(
        "outbound.close_unregisters_ip", kBool, 0,
        "an ended outbound connection removes the peer's IP from the writer registry"),
    field<BanLadder<0, &BanStep::violations>>("blacklist.ban1.violations", kCount, 0,
                                              "violations for the first ban (0: unused step)"),
    duration_or_none<BanLadder<0, &BanStep::ban_ns>>("blacklist.ban1.duration", 0,
                                                     "the first ban's length (none: permanent)"),
    field<BanLadder<1, &BanStep::violations>>("blacklist.ban2.violations", kCount, 0,
                                              "violations for the second ban (0: unused step)"),
    duration_or_none<BanLadder<1, &BanStep::ban_ns>>("blacklist.ban2.duration", 0,
                                                     "the second ban's length (none: permanent)"),
    field<BanLadder<2, &BanStep::violations>>("blacklist.ban3.violations", kCount, 0,
                                              "violations for the third ban (0: unused step)"),
    duration_or_none<BanLadder<2, &BanStep::ban_ns>>("blacklist.ban3.duration", 0,
                                                     "the third ban's length (none: permanent)"),
    field<Blacklist<&BP::violation_memory_ns>>(
        "blacklist.memory", kDur, 1,
        "a violation this long after the previous one restarts the count"),
    field<Blacklist<&BP::max_bad_lines>>(
        "blacklist.max_bad_lines", kCount, 0,
        "unparseable lines that close an inbound connection (0: no limit)"),
    field<Blacklist<&BP::old_protocol_prefix>>(
        "blacklist.old_protocol_prefix", kString, 0,
        "a first line starting with this is the old binary protocol: violation, close"),
    field<Keepalive<&KA::idle_ns>>("keepalive.idle", kDur, 0,
                                   "inbound keepalive: first probe after this idle time (0: off)"),
    field<Keepalive<&KA::interval_ns>>("keepalive.interval", kDur, 0,
                                       "inbound keepalive: between unanswered probes"),
    field<Keepalive<&KA::probes>>("keepalive.probes", kCount, 0,
                                  "unanswered probes that end the connection (0: the OS default)"),
    field<Timer<&PT::ping_interval_ns>>("ping.interval", kDur, 1,
                                        "outbound ping interval (first tick at once)"),
    field<Timer<&PT::ping_check_interval_ns>>("ping.check_interval", kDur, 1,
                                              "how often unanswered pings are checked"),
    field<Timer<&PT::ping_timeout_ns>>("ping.timeout", kDur, 1,
                                       "a ping unanswered for longer is a miss"),
    field<Timer<&PT::max_missed_pongs>>("ping.max_missed", kCount, 1,
                                        "misses that close the connection"),
    field<Top<&VP::pending_ping_limit>>("ping.pending_limit", kCount, 0,
                                        "pending ping nonces kept per outbound connection (0: "
                                        "no cap)"),
    field<Timer<&PT::reconnect_delay_ns>>("reconnect.after_close", kDur, 1,
                                          "redial after an established connection ends"),
    field<Timer<&PT::dial_backoff_initial_ns>>("reconnect.initial", kDur, 1,
                                               "first back-off after a failed dial"),
    field<Timer<&PT::dial_backoff_max_ns>>("reconnect.max", kDur, 1, "back-off cap"),
    field<Timer<&PT::max_dial_failures_masternode>>(
        "reconnect.give_up_masternode", kCount, 1,
        "consecutive failed dials to a masternode before giving up"),
    field<Timer<&PT::max_dial_failures_other>>(
        "reconnect.give_up_other", kCount, 1,
        "consecutive failed dials to another peer before giving up"),
    field<Timer<&PT::redial_pass_interval_ns>>("reconnect.pass_interval", kDur, 1,
                                               "periodic pass over disconnected peers"),
    field<Timer<&PT::redial_pass_spacing_ns>>("reconnect.pass_spacing", kDur, 1,
                                              "spacing of the dials within one pass"),
    duration_or_none<Timer<&PT::connect_timeout_ns>>("connect_timeout", 1,
                                                     "TCP connect timeout on the dialer"),
    field<Timer<&PT::heartbeat_interval_ns>>("heartbeat.interval", kDur, 1,
                                             "masternode heartbeat (first tick at once)"),
    field<Timer<&PT::masternode_offline_ns>>("heartbeat.offline_after", kDur, 1,
                                             "no heartbeat for this long: offline"),
    field<Timer<&PT::block_interval_ns>>("blocks.interval", kDur, 1,
                                         "block slots at wall-clock multiples of this"),
    field<Timer<&PT::min_active_masternodes>>("blocks.min_active", kCount, 1,
                                              "fewer active masternodes: the slot is skipped"),
    field<Timer<&PT::leader_grace_ns>>("blocks.leader_grace", kDur, 1,
                                       "after this, any proposer is accepted"),
    field<Timer<&PT::sync_peers>>("sync.peers", kCount, 1, "peers asked per sync poll"),
    field<Timer<&PT::sync_poll_interval_ns>>("sync.poll_interval", kDur, 1, "sync poll period"),
    field<Timer<&PT::sync_timeout_ns>>("sync.timeout", kDur, 1,
                                       "a sync attempt gives up after this"),
    field<Timer<&PT::max_blocks_per_response>>("sync.max_blocks", kCount, 1, "BlocksResponse cap"),
    field<EveryNodeRound>("consensus.every_node_round", kBool, 0,
                          "every node opens a BFT round and the BFT leader proposes (else only "
                          "main.rs's producer opens one)"),
    field<Rule<&CR::leader_votes_own_block>>("consensus.leader_votes_own_block", kBool, 0,
                                             "the proposer casts a vote for its own block"),
    field<Rule<&CR::sends_get_block_height>>("consensus.sends_get_block_height", kBool, 0,
                                             "GetBlockHeight is sent after a handshake"),
    field<Rule<&CR::handles_sync_responses>>("consensus.handles_sync_responses", kBool, 0,
                                             "BlocksResponse and BlockHeightResponse are handled"),
    field<Rule<&CR::registers_heartbeat_senders>>(
        "consensus.registers_heartbeat_senders", kBool, 0,
        "a heartbeat from an unregistered masternode registers it (else ignored)"),
    field<Rule<&CR::counts_own_tx_vote>>("consensus.counts_own_tx_vote", kBool, 0,
                                         "a node counts its own transaction vote"),
    field<Rule<&CR::tx_votes_only_from_registered>>(
        "consensus.tx_votes_only_from_registered", kBool, 0,
        "transaction votes count only from registered masternodes"),
    field<Rule<&CR::min_tx_committee>>("consensus.min_tx_committee", kCount, 0,
                                       "fewer registered masternodes: no transaction is final"),
    field<Rule<&CR::catchup_when_behind_schedule>>(
        "consensus.catchup_when_behind", kBool, 0,
        "a node behind the block schedule starts a catch-up (GetBlocks)"),
    field<Rule<&CR::get_blocks_every_poll>>("consensus.get_blocks_every_poll", kBool, 0,
                                            "GetBlocks is re-sent at every sync poll"),
    field<Rule<&CR::bft_messages_trigger_sync>>(
        "consensus.bft_messages_trigger_sync", kBool, 0,
        "a proposal or commit above the tip starts a sync (hypothetical)"),
    field<Rule<&CR::offline_check_interval_ns>>(
        "heartbeat.offline_check_interval", kDur, 0,
        "how often the registry marks silent masternodes offline (0: at every read)"),
    field<Rule<&CR::remove_after_ns>>("heartbeat.remove_after", kDur, 0,
                                      "an offline masternode is removed after this (0: never)"),
    // ---- dialer reconnection, pong and pending-nonce variants (dialer_policy.h) ----
    enum_field<DialerEnum<&DP::reconnect_scheme, kReconnectSchemeNames>>(
        "reconnect.scheme", kReconnectSchemeNames,
        "doubling: fixed delays, x2 back-off, give up; adaptive: b8a9d18's learned delay "
        "with a cooldown"),
    field<Dialer<&DP::masternode_reconnect_delay_ns>>(
        "reconnect.masternode_after_close", kDur, 1,
        "doubling, masternode-flagged dial: redial after an established connection ends"),
    field<Dialer<&DP::masternode_backoff_initial_ns>>(
        "reconnect.masternode_initial", kDur, 1,
        "doubling, masternode-flagged dial: first back-off after a failed dial"),
    field<Dialer<&DP::masternode_backoff_max_ns>>(
        "reconnect.masternode_max", kDur, 1, "doubling, masternode-flagged dial: back-off cap"),
    field<Dialer<&DP::cooldown_after_failures>>(
        "reconnect.cooldown_after", kCount, 1,
        "adaptive: consecutive failed dials that start a cooldown"),
    field<Dialer<&DP::cooldown_ns>>("reconnect.cooldown", kDur, 1,
                                    "adaptive: no dial for this long after the last failure"),
    enum_field<DialerEnum<&DP::whitelist_source, kWhitelistSourceNames>>(
        "ping.whitelist_source", kWhitelistSourceNames,
        "which dialer connections are whitelisted for the pong check"),
    enum_field<DialerEnum<&DP::whitelisted_pong, kWhitelistedPongNames>>(
        "ping.whitelisted", kWhitelistedPongNames,
        "the pong check on a whitelisted connection at its miss count: close, reset the "
        "count (and clear the pending pings), or no check at all"),
    field<Dialer<&DP::whitelisted_pong_timeout_ns>>("ping.whitelisted_timeout", kDur, 1,
                                                    "whitelisted: a ping older is a miss"),
    field<Dialer<&DP::whitelisted_max_missed>>("ping.whitelisted_max_missed", kCount, 1,
                                               "whitelisted: misses that act"),
    field<Dialer<&DP::pending_drop>>(
        "ping.pending_drop", kCount,
        1, "oldest pending pings dropped when ping.pending_limit are pending at a send"),
    duration_or_none<Dialer<&DP::purge_after_ns>>(
        "ping.purge_after", 1, "pending pings older than this are purged at a send, no miss"),
    field<Dialer<&DP::purge_edge_percent>>(
        "ping.purge_edge_percent", kCount,
        0, "chance (%) that a ping exactly ping.purge_after old is purged at a send"),
    // ---- inbound rate limits, line limit, parse errors (node_core/inbound_policy.h) ----
    field<Rate<RB::kTx, &RateLimit::count>>("rate_limit.tx.count", kCount, 0,
                                            "TransactionBroadcast per IP and window (0: no limit)"),
    field<Rate<RB::kTx, &RateLimit::window_ns>>("rate_limit.tx.window", kDur, 1,
                                                "the tx limit's fixed window"),
    field<Rate<RB::kVote, &RateLimit::count>>(
        "rate_limit.vote.count", kCount, 0,
        "TransactionVote (and BlockVote, see block_vote_is_vote) per IP and window (0: no limit)"),
    field<Rate<RB::kVote, &RateLimit::window_ns>>("rate_limit.vote.window", kDur, 1,
                                                  "the vote limit's fixed window"),
    field<Rate<RB::kBlock, &RateLimit::count>>("rate_limit.block.count", kCount, 0,
                                               "BlockAnnouncement per IP and window (0: no limit)"),
    field<Rate<RB::kBlock, &RateLimit::window_ns>>("rate_limit.block.window", kDur, 1,
                                                   "the block limit's fixed window"),
    field<Rate<RB::kGetBlocks, &RateLimit::count>>("rate_limit.get_blocks.count", kCount, 0,
                                                   "GetBlocks per IP and window (0: no limit)"),
    field<Rate<RB::kGetBlocks, &RateLimit::window_ns>>("rate_limit.get_blocks.window", kDur, 1,
                                                       "the get_blocks limit's fixed window"),
    field<Rate<RB::kGetPeers, &RateLimit::count>>("rate_limit.get_peers.count", kCount, 0,
                                                  "GetPeers per IP and window (0: no limit)"),
    field<Rate<RB::kGetPeers, &RateLimit::window_ns>>("rate_limit.get_peers.window", kDur, 1,
                                                      "the get_peers limit's fixed window"),
    field<Rate<RB::kMasternodeAnnounce, &RateLimit::count>>(
        "rate_limit.masternode_announce.count", kCount, 0,
        "MasternodeAnnouncement per IP and window (0: no limit)"),
    field<Rate<RB::kMasternodeAnnounce, &RateLimit::window_ns>>(
        "rate_limit.masternode_announce.window", kDur, 1,
        "the masternode_announce limit's fixed window"),
    field<Rate<RB::kPing, &RateLimit::count>>("rate_limit.ping.count", kCount, 0,
                                              "inbound Ping per IP and window (0: no limit)"),
    field<Rate<RB::kPing, &RateLimit::window_ns>>("rate_limit.ping.window", kDur, 1,
                                                  "the ping limit's fixed window"),
    field<Inbound<&IP::block_vote_is_vote>>("rate_limit.block_vote_is_vote", kBool, 0,
                                            "BlockVote is counted in the vote limit"),
    field<Inbound<&IP::excess_is_violation>>(
        "rate_limit.excess_is_violation", kBool, 0,
        "a message over its limit is a blacklist violation (else only skipped)"),
    field<Inbound<&IP::cleanup_keep_windows>>(
        "rate_limit.cleanup_keep_windows", kCount, 0,
        "a purge forgets counters older than this many of the checked limit's windows (0: no "
        "purge)"),
    field<Inbound<&IP::cleanup_interval_ns>>("rate_limit.cleanup_interval", kDur, 1,
                                             "a check this long after the last purge purges"),
    enum_field<InboundEnum<&IP::line_limit, kLineLimitModeNames>>(
        "line_limit", kLineLimitModeNames,
        "a line over max_line: discard (as it arrives, either side), listener-violation "
        "(listener only, after reading it: violation), close (either side)"),
    enum_field<InboundEnum<&IP::parse_error, kParseErrorModeNames>>(
        "parse.error", kParseErrorModeNames,
        "an unparseable line: violation (listener; dialer logs), close, skip (either side)"),
    field<Inbound<&IP::split_concatenated_json>>(
        "parse.split_concatenated_json", kBool, 0,
        "an inbound bad line of several {...} objects is discarded, of one a failed parse; no "
        "violation"),
    field<Blacklist<&BP::whitelist_exempt>>("blacklist.whitelist_exempt", kBool, 0,
                                            "whitelisted IPs are never counted or banned"),
    // ---- masternode gossip (node_core/gossip_policy.h) ----
    field<Gossip<&GP::outbound_handles_masternodes>>(
        "outbound.handles.masternodes", kBool, 0,
        "outbound handles MasternodeAnnouncement and MasternodesResponse (80b5edf)"),
    field<Gossip<&GP::outbound_handles_blocks>>(
        "outbound.handles.blocks", kBool, 0,
        "outbound handles BlocksResponse and BlockAnnouncement (467a0f6)"),
    field<Gossip<&GP::outbound_handles_get_blocks>>("outbound.handles.get_blocks", kBool, 0,
                                                    "outbound answers GetBlocks (7aebaea)"),
    field<Gossip<&GP::outbound_handles_heartbeats>>(
        "outbound.handles.heartbeats", kBool, 0,
        "outbound processes heartbeats, without relaying them (fed4376)"),
    enum_field<GossipEnum<&GP::on_connect_announce, kOnConnectAnnounceNames>>(
        "gossip.on_connect_announce", kOnConnectAnnounceNames,
        "announcements a listener sends after the Ack: none, all registered (f9f913d), own "
        "(ae360c0)"),
    field<Gossip<&GP::on_connect_get_masternodes>>(
        "gossip.on_connect_get_masternodes", kBool, 0,
        "a listener sends GetMasternodes after GetPeers (f9f913d)"),
    field<Gossip<&GP::announce_at_start>>("gossip.announce_at_start", kBool, 0,
                                          "a masternode broadcasts its announcement at start-up"),
    field<Gossip<&GP::announce_every_heartbeat>>(
        "gossip.announce_every_heartbeat", kBool, 0,
        "a masternode broadcasts its announcement at every heartbeat tick"),
    field<Gossip<&GP::get_masternodes_every_heartbeat>>(
        "gossip.get_masternodes_every_heartbeat", kBool, 0,
        "a masternode broadcasts GetMasternodes at every heartbeat tick (f0b577d)"),
    field<Gossip<&GP::announce_min_connection_age_ns>>(
        "gossip.announce_min_age", kDur, 0,
        "a listener ignores announcements on connections younger than this"),
    field<Gossip<&GP::listener_registers_masternode_lists>>(
        "gossip.listener_registers_lists", kBool, 0,
        "a listener registers the entries of a MasternodesResponse (f0b577d)"),
    field<Gossip<&GP::relays_heartbeats>>(
        "gossip.relays_heartbeats", kBool, 0,
        "a listener re-broadcasts every heartbeat to its inbound connections (341d8f4)"),
    enum_field<GossipEnum<&GP::masternode_peers, kMasternodePeersNames>>(
        "gossip.masternode_peers", kMasternodePeersNames,
        "which peers the dial loops treat as masternodes: seed-flag (remote_masternodes_active), "
        "registry-active, registry-all (23cebb4)"),
    field<Gossip<&GP::inactive_on_disconnect>>(
        "gossip.inactive_on_disconnect", kBool, 0,
        "a registered masternode is marked inactive when the dialer's session to it ends "
        "(126d7ee)"),
    // ---- admission, duplicates, whitelist (conn_policy.h) ----
    field<ConnLimit<&AL::max_total>>("conn.limit.total", kCount, 0,
                                     "inbound refused at accept when this many IPs are "
                                     "connected, either direction (0: no limit)"),
    field<ConnLimit<&AL::max_inbound>>("conn.limit.inbound", kCount, 0,
                                       "... when this many IPs are connected inbound (0: none)"),
    field<ConnLimit<&AL::max_per_ip>>(
        "conn.limit.per_ip", kCount, 0,
        "... when this many connected IPs start with the new IP's text (0: none)"),
    field<ConnLimit<&AL::max_regular>>(
        "conn.limit.regular", kCount, 0,
        "... when this many non-whitelisted IPs are connected (0: none)"),
    field<ConnLimit<&AL::max_new_inbound>>(
        "conn.limit.new_inbound", kCount, 0,
        "... when this many inbound handshakes fell in the window, node-wide (0: none)"),
    field<ConnLimit<&AL::new_window_ns>>("conn.limit.new_window", kDur, 1,
                                         "the window of conn.limit.new_inbound"),
    field<ConnLimit<&AL::prune_interval_ns>>(
        "conn.limit.prune_interval", kDur, 0,
        "old handshakes leave the window only at a prune, at most this often"),
    field<ConnLimit<&AL::whitelist_bypass>>(
        "conn.limit.whitelist_bypass", kBool, 0,
        "a whitelisted IP is checked against conn.limit.total only"),
    enum_field<ConnEnum<&ConnPolicy::duplicate, kDuplicatePolicyNames>>(
        "conn.duplicate", kDuplicatePolicyNames,
        "a Handshake from an already-connected IP: octet-tie-break (ea701a4), accept "
        "(1f246fd, 808d30a), reject (d6b4383, 7965e88), tie-break-outbound (4233e37)"),
    field<ConnField<&ConnPolicy::dialer_reserves_ip>>(
        "conn.dialer_reserves_ip", kBool, 0,
        "a dial in progress counts as a connection for conn.duplicate (083e136)"),
    // ---- server broadcast channel (broadcast_policy.h) ----
    field<Broadcast<&BroadcastPolicy::relay_bft>>(
        "broadcast.relay_bft", kBool, 0,
        "a listener re-broadcasts every received BlockProposal/BlockVote/BlockCommit to all its "
        "listener connections (ea701a4 .. 6e08456^)"),
    field<Broadcast<&BroadcastPolicy::capacity>>(
        "broadcast.capacity", kCount, 0,
        "channel capacity: a listener connection whose write stays blocked while more messages "
        "are broadcast ends (broadcast_lagged); 0: unbounded"),
    // ---- peer exchange (node_core/pex_policy.h) ----
    field<Pex<&PexPolicy::listener_learns>>(
        "pex.listener_learns", kBool, 0,
        "a PeersResponse on an inbound connection adds its addresses as dial candidates"),
    field<Pex<&PexPolicy::dialer_learns>>("pex.dialer_learns", kBool, 0,
                                          "... on an outbound connection (hypothetical: through "
                                          "49f500d the dialer has no peer manager)"),
    field<Pex<&PexPolicy::purge_interval_ns>>(
        "pex.purge_interval", kDur, 0,
        "cleanup_stale_peers' period from the start: each tick drops every learned candidate "
        "(0: never)"),
    enum_field<PexDialerAnswer>(
        "pex.dialer_answer", kPexAnswerNames,
        "a dialer that handles GetPeers answers with its known peers (seeds and candidates) or "
        "the IPs connected now (505b8a3)"),
};

}  // namespace

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::kBool:
      return "bool";
    case FieldType::kCount:
      return "count";
    case FieldType::kDuration:
      return "duration";
    case FieldType::kBytes:
      return "bytes";
    case FieldType::kString:
      return "string";
    case FieldType::kEnum:
      return "enum";
  }
  return "?";
}

std::span<const ProfileField> profile_fields() {
  return kFields;
}

const ProfileField* find_profile_field(std::string_view key) {
  for (const auto& f : kFields)
    if (f.key == key) return &f;
  return nullptr;
}

namespace {
std::string format_duration_exact(Duration d) {
  if (d == 0) return "0s";
  struct Unit {
    Duration ns;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{24 * kHour, "d"},  {kHour, "h"},         {kMinute, "m"},
                                    {kSecond, "s"},     {kMillisecond, "ms"}, {kMicrosecond, "us"},
                                    {kNanosecond, "ns"}};
  std::string out = d < 0 ? "-" : "";
  std::uint64_t left = d < 0 ? 0 - static_cast<std::uint64_t>(d) : static_cast<std::uint64_t>(d);
  for (const auto& u : kUnits) {
    const auto n = left / static_cast<std::uint64_t>(u.ns);
    if (n == 0) continue;
    out += std::to_string(n) + u.name;
    left -= n * static_cast<std::uint64_t>(u.ns);
  }
  return out;
}
}  // namespace

std::string format_field_value(FieldType t, const FieldValue& v) {
  if (t == FieldType::kDuration && std::get<Duration>(v) == kNever) return "none";
  switch (t) {
    case FieldType::kBool:
      return std::get<bool>(v) ? "true" : "false";
    case FieldType::kCount:
    case FieldType::kBytes:
      return std::to_string(std::get<std::uint64_t>(v));
    case FieldType::kDuration:
      return format_duration_exact(std::get<Duration>(v));
    case FieldType::kString:
    case FieldType::kEnum:
      return std::string(std::get<std::string_view>(v));
  }
  return "";
}

bool field_number(const FieldValue& v, std::int64_t& out) {
  if (const auto* b = std::get_if<bool>(&v)) return out = *b, true;
  if (const auto* n = std::get_if<std::uint64_t>(&v))
    return out = static_cast<std::int64_t>(*n), true;
  if (const auto* d = std::get_if<Duration>(&v)) return out = *d, true;
  return false;
}

bool field_equal(const ProfileField& f, const VersionProfile& a, const VersionProfile& b) {
  return f.get(a) == f.get(b);
}

std::string profile_consistency_error(const VersionProfile& p) {
  if (p.timers.dial_backoff_max_ns < p.timers.dial_backoff_initial_ns)
    return "'reconnect.max' must be at least 'reconnect.initial'";
  if (p.dialer.masternode_backoff_max_ns < p.dialer.masternode_backoff_initial_ns)
    return "'reconnect.masternode_max' must be at least 'reconnect.masternode_initial'";
  if (p.dialer.purge_edge_percent > 100) return "'ping.purge_edge_percent' must be at most 100";
  return "";
}

}  // namespace ts::node
