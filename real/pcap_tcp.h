// TCP connections reassembled from a pcap capture (libpcap), for the real-node import.
//
// One TcpFlow per connection (a client SYN starts one; a SYN on a 4-tuple whose previous
// flow saw data or a FIN/RST starts the next), with the times of its handshake, FIN and RST
// segments per direction, and each direction's payload in stream order (retransmitted or
// overlapping bytes dropped). Times are wall-clock ns since the Unix epoch, as captured.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace ts::real {

constexpr std::int64_t kNoTime = -1;

struct TcpChunk {
  std::int64_t t_ns = 0;  // capture time of the segment that carried these bytes
  std::string bytes;
};

struct TcpFlow {
  std::string client_ip, server_ip;  // dotted quads; the client sent the SYN
  std::uint16_t client_port = 0, server_port = 0;
  std::int64_t t_syn = kNoTime, t_synack = kNoTime, t_ack = kNoTime;
  std::int64_t t_fin[2] = {kNoTime, kNoTime};  // [0]: client -> server, [1]: server -> client
  std::int64_t t_rst[2] = {kNoTime, kNoTime};
  std::vector<TcpChunk> data[2];  // in stream order
  bool truncated = false;         // a segment was cut by the capture's snap length
};

// Reads the flows of TCP port `port` (either end) from `path`. Fails on an unreadable file,
// an unsupported link type, or IPv6-only captures.
Result<std::vector<TcpFlow>> read_tcp_flows(const std::string& path, std::uint16_t port);

}  // namespace ts::real
