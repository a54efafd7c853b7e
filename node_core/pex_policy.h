// PexPolicy: peer exchange (GetPeers / PeersResponse) and the hourly purge of the dial
// candidates it adds, as data (docs/history-facts.md "Peer exchange and candidate purge";
// docs/fidelity.md "Peer exchange"). The defaults are the incident commits' (ea701a4,
// b5513be, 31ad283): the listener adds every address of a PeersResponse as a dial candidate
// (server.rs:609-620, peer_manager.rs:105-123 add_peer_candidate, last_seen 0), and
// cleanup_stale_peers, every 3600 s from the process start (peer_manager.rs:290-310),
// removes them all again (now - 0 > 7 days).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace ts::node {

// What a dialer that handles GetPeers answers with (the listener always answers with its
// candidate list, server.rs:580-586 at ea701a4 .. 49f500d).
enum class PexAnswer : std::uint8_t {
  kKnown,      // get_all_peers(): the seeds and the listed candidates, "ip:port"
  kConnected,  // get_connected_peers(): the IPs connected now (505b8a3: no peer manager)
};
inline constexpr std::array<std::string_view, 2> kPexAnswerNames = {"known", "connected"};

struct PexPolicy {
  // A PeersResponse on an inbound connection adds its addresses as dial candidates.
  bool listener_learns = true;
  // ... on an outbound connection (the dialer must handle the message at all). Upstream's
  // dialer has no peer manager before 6fad5f6/2d52001 (message_handler.rs:1398 at 505b8a3).
  bool dialer_learns = false;
  // cleanup_stale_peers' period, its first tick at the process start: each tick drops every
  // learned candidate. 0: candidates are never dropped.
  Duration purge_interval_ns = kHour;
  // The dialer's GetPeers answer (message_handler.rs:1358-1381 at 505b8a3). The incident
  // commits' dialer drops GetPeers; kKnown is what hypothetical-full-outbound's answers.
  PexAnswer dialer_answer = PexAnswer::kKnown;
};

}  // namespace ts::node
