// The Linux TCP constants the simulated kernels follow, in one place. Values are Linux's
// defaults (include/net/tcp.h and Documentation/networking/ip-sysctl.rst); the real nodes
// ran on Linux and set none of them except the listener's keepalive time and interval.
#pragma once

#include <cstdint>

#include "common/time.h"

namespace ts::sim::linux_tcp {

// ---- connect(): SYN retransmission ------------------------------------------------------
// TCP_TIMEOUT_INIT (1 s, RFC 6298) is the first SYN's retransmission timeout; it doubles
// with each retransmission. net.ipv4.tcp_syn_retries defaults to TCP_SYN_RETRIES = 6.
inline constexpr Duration kSynInitialRto = seconds(1);
inline constexpr int kSynRetries = 6;
// When transmission `k` of a SYN goes out (0 = the first), relative to the connect():
// 0, 1, 3, 7, 15, 31, 63 s for k = 0..6.
constexpr Duration syn_send_offset(int k) {
  return kSynInitialRto * ((std::int64_t{1} << k) - 1);
}
// connect() fails with ETIMEDOUT one (doubled) RTO after the last retransmission: 127 s.
inline constexpr Duration kSynGiveUp = syn_send_offset(kSynRetries + 1);
static_assert(kSynGiveUp == seconds(127));

// ---- data retransmission (sim/retransmit.h) ---------------------------------------------
// TCP_RTO_MIN 200 ms (the model has no RTT estimate above it), TCP_RTO_MAX 120 s,
// net.ipv4.tcp_retries2 = 15.
inline constexpr Duration kMinRto = millis(200);
inline constexpr Duration kMaxRto = seconds(120);
inline constexpr int kMaxRetransmits = 15;

// ---- keepalive --------------------------------------------------------------------------
// net.ipv4.tcp_keepalive_probes = TCP_KEEPALIVE_PROBES = 9: unanswered probes after which
// the connection is dropped (tcp_keepalive_timer: ETIMEDOUT), unless TCP_KEEPCNT is set.
inline constexpr std::uint32_t kKeepaliveProbes = 9;

// ---- socket buffers (sim/world.cc write_blocked) -----------------------------------------
// A write blocks once the bytes written and not yet read by the peer process fill the
// sender's send buffer and the receiver's receive buffer: net.ipv4.tcp_wmem[1] = 16384 and
// net.ipv4.tcp_rmem[1] = 131072, the sizes a socket starts with. Autotuning can grow both
// (to tcp_wmem[2] 4 MiB, tcp_rmem[2] 6 MiB) on a busy connection; the model uses the
// starting sizes, the earliest point a write can block.
inline constexpr std::uint64_t kSendBufferBytes = 16384;
inline constexpr std::uint64_t kReceiveBufferBytes = 131072;
inline constexpr std::uint64_t kWriteBlockedBytes = kSendBufferBytes + kReceiveBufferBytes;

}  // namespace ts::sim::linux_tcp
