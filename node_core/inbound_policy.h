// What the listener (server.rs) limits on an inbound connection, and what excess costs, as
// data: per-IP message rate limits (network/rate_limiter.rs), the line-size check and the
// handling of unparseable lines. Defaults are the incident commits' (ea701a4 = b5513be =
// 31ad283); docs/fidelity.md "Inbound rate limits" lists the upstream lines per commit.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace ts::node {

// upstream's limiter keys that a model message maps to (rate_limiter.rs `limits`).
enum class RateBucket : std::uint8_t {
  kTx,                  // TransactionBroadcast
  kVote,                // TransactionVote (and BlockVote, see block_vote_is_vote)
  kBlock,               // BlockAnnouncement
  kGetBlocks,           // GetBlocks
  kGetPeers,            // GetPeers
  kMasternodeAnnounce,  // MasternodeAnnouncement
  kPing,                // Ping
  kCount,
};
inline constexpr std::size_t kRateBucketCount = static_cast<std::size_t>(RateBucket::kCount);
inline constexpr std::array<std::string_view, kRateBucketCount> kRateBucketNames = {
    "tx", "vote", "block", "get_blocks", "get_peers", "masternode_announce", "ping"};

// At most `count` messages per `window_ns` and remote IP; count 0 = not limited.
struct RateLimit {
  std::uint32_t count = 0;
  Duration window_ns = kSecond;
};

// How the listener treats a line longer than max_line_bytes (VersionProfile::max_line_bytes).
enum class LineLimitMode : std::uint8_t {
  kDiscard,            // either side: discarded as it arrives, a protocol error, kept open
  kListenerViolation,  // listener only, checked after the whole line was read: a
                       // violation, closed if the blacklist says so, else skipped (344e7e0)
  kClose,              // either side: the connection ends, no violation (34bcf6e frames)
};
inline constexpr std::array<std::string_view, 3> kLineLimitModeNames = {
    "discard", "listener-violation", "close"};

// What an unparseable line costs on an inbound connection (after the concatenated-JSON
// check, if on). The dialer only logs it under kViolation (peer_connection.rs).
enum class ParseErrorMode : std::uint8_t {
  kViolation,  // a violation; closed when the blacklist says so or at max_bad_lines
  kClose,      // either side: the connection ends, no violation (34bcf6e read errors)
  kSkip,       // either side: skipped, no violation (45404fc UnknownMessage)
};
inline constexpr std::array<std::string_view, 3> kParseErrorModeNames = {"violation", "close",
                                                                         "skip"};

struct InboundPolicy {
  // ea701a4 (rate_limiter.rs:12-16, :28): tx 1000/1 s; "vote" is not in the table and gets
  // the default 10/1 s; nothing else is checked (server.rs:382, :420).
  std::array<RateLimit, kRateBucketCount> rate = {RateLimit{1000, kSecond},
                                                  RateLimit{10, kSecond},
                                                  RateLimit{},
                                                  RateLimit{},
                                                  RateLimit{},
                                                  RateLimit{},
                                                  RateLimit{}};
  // BlockVote counts in the "vote" bucket (from 344e7e0 the TSCD votes, which the model's
  // BlockVote stands for, are checked as "vote"); at ea701a4 BFT votes are not limited.
  bool block_vote_is_vote = false;
  // Excess costs a blacklist violation (344e7e0 check_rate_limit!); else it is only skipped.
  bool excess_is_violation = false;
  // The limiter's periodic purge (344e7e0): at a check more than cleanup_interval_ns after
  // the last purge, every counter whose window started cleanup_keep_windows x (the checked
  // bucket's window) or longer ago is forgotten. 0 = never purged (ea701a4).
  std::uint32_t cleanup_keep_windows = 0;
  Duration cleanup_interval_ns = seconds(10);

  LineLimitMode line_limit = LineLimitMode::kDiscard;
  ParseErrorMode parse_error = ParseErrorMode::kViolation;
  // 53ac100: an unparseable inbound line that holds several `{...}` objects (split by brace
  // depth) is discarded without a violation; one object: a failed parse, no violation.
  bool split_concatenated_json = false;
};

}  // namespace ts::node
