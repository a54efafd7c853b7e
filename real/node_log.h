// Protocol-error lines from a real node's log (tracing's text format, ANSI colours allowed):
//   2026-12-02T01:10:52.069574Z  WARN tm_net_harness: ⚠️  127.0.0.101:47503 sent message
//   before handshake - closing connection (not blacklisting)          (tm-net-harness)
//   2026-12-02 01:31:33.025 [vm]  WARN ⚠️  127.0.0.100:39741 sent message before ...  (timed,
//   millisecond stamps)
// Each recognised line gives the UTC time, a stable kind (docs/schema.md's protocol_errors
// kinds), the remote's ip:port, and the message as logged from its first word of text on
// (the level, target and emoji are dropped; the sim's rows hold the same part).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ts::real {

struct LoggedError {
  std::int64_t wall_ns = 0;  // the line's timestamp, ns since the Unix epoch
  std::string kind;          // message_before_handshake, bad_magic, ...
  std::string remote;        // "127.0.0.101:47503", the address the line names
  std::string text;
};

// The protocol error `line` reports, if any (kind empty when the line is not one).
LoggedError parse_log_line(std::string_view line);
// Every protocol-error line of the file at `path`.
Result<std::vector<LoggedError>> read_log_errors(const std::string& path);
// `text` with every IPv4 "a.b.c.d:port" (or bare address) replaced by "ADDR": how log lines
// from nodes on different addresses are compared.
std::string normalize_addresses(std::string_view text);

}  // namespace ts::real
