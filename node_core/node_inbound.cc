// The listener's limits on inbound connections (docs/fidelity.md "Inbound rate limits"):
// per-IP rate limits, the after-read line-size check and the concatenated-JSON check.
#include <algorithm>
#include <string>

#include "node_core/node.h"

namespace ts::node {

// rate_limiter.rs check() from server.rs: ea701a4 skips excess silently (`if
// limiter.check(..)`); from 344e7e0 check_rate_limit! also records a violation and leaves
// the loop when the blacklist says so.
bool Node::within_rate_limit(SimTime now, Conn& c, const Message& m) {
  const InboundPolicy& p = profile_->inbound;
  const RateBucket bucket = rate_bucket_of(kind_of(m), p);
  if (bucket == RateBucket::kCount) return true;
  const std::string ip = remote_ip(c);
  if (rate_.allow(bucket, ip, now)) return true;
  const std::string_view name = kRateBucketNames[static_cast<std::size_t>(bucket)];
  protocol_error(c, ProtocolErrorKind::kRateLimited,
                 "Rate limit exceeded for " + std::string(name) + " from " + remote(c) + ": " + ip);
  if (p.excess_is_violation && violation(now, c, "Rate limit exceeded: " + std::string(name)))
    close(now, c.id, CloseReason::kRateLimited);
  return false;
}

// 344e7e0 (server.rs:348-366): `line.len()` (with its '\n') over the cap after read_line
// read it whole: a violation; the loop ends if the blacklist says so, else the line is
// skipped. Listener only.
bool Node::inbound_line_too_long(SimTime now, Conn& c, std::string_view line) {
  const std::uint64_t cap = profile_->max_line_bytes;
  if (profile_->inbound.line_limit != LineLimitMode::kListenerViolation || cap == 0) return false;
  const std::uint64_t size = line.size() + 1;
  if (size <= cap) return false;
  protocol_error(c, ProtocolErrorKind::kLineTooLong,
                 "Rejecting oversized message from " + remote(c) + ": " + std::to_string(size) +
                     " bytes (max: " + std::to_string(cap) + ")");
  if (violation(now, c, "Oversized message: " + std::to_string(size) + " bytes"))
    close(now, c.id, CloseReason::kLineTooLong);
  return true;
}

// 53ac100 (server.rs:1488-1529): a trimmed line that starts with '{' and holds more than
// one '{' is split where the brace depth returns to 0 (braces inside strings count too).
// More than one object: all discarded, nothing counted. Otherwise a failed parse (the
// connection's count rises) without a violation and without the close check.
bool Node::concatenated_json(Conn& c, std::string_view line) {
  if (!profile_->inbound.split_concatenated_json) return false;
  const auto ws = [](char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
  };
  while (!line.empty() && ws(line.front()))
    line.remove_prefix(1);
  while (!line.empty() && ws(line.back()))
    line.remove_suffix(1);
  if (line.empty() || line.front() != '{' || std::count(line.begin(), line.end(), '{') < 2)
    return false;
  int depth = 0;
  std::size_t objects = 0;
  for (const char ch : line) {
    if (ch == '{') ++depth;
    if (ch == '}' && --depth == 0) ++objects;
  }
  if (objects > 1) {
    protocol_error(c, ProtocolErrorKind::kInvalidJson,
                   "Split " + std::to_string(objects) + " concatenated JSON objects from " +
                       remote(c) + ", discarding to prevent processing duplicates");
    return true;
  }
  ++c.bad_lines;
  protocol_error(c, ProtocolErrorKind::kInvalidJson,
                 "Failed to parse message from " + remote(c) +
                     " (appears concatenated but couldn't split properly)");
  return true;
}

}  // namespace ts::node
