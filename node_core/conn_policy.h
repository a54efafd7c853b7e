// ConnPolicy: how the listener admits inbound connections and what either side does with a
// second connection to an IP it already has one with, as data (docs/fidelity.md
// "Admission, duplicates, whitelist"). The defaults are the incident commits' (ea701a4,
// b5513be, 31ad283): no connection limits, the octet tie-break after the handshake, no
// whitelist semantics.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace ts::node {

// Limits checked when an inbound connection is accepted, before its handshake
// (connection_manager.rs can_accept_inbound, 344e7e0; whitelist bypass 79645be). A refused
// connection is closed at once (CloseReason::kConnectionLimit). 0 = no such limit.
struct AdmissionLimits {
  std::uint32_t max_total = 0;    // connected IPs, either direction (MAX_TOTAL_CONNECTIONS)
  std::uint32_t max_inbound = 0;  // IPs connected inbound (MAX_INBOUND_CONNECTIONS)
  // Connected IPs whose text starts with the new peer's IP (count_connections_from_ip's
  // `starts_with`: 10.0.0.1 also counts 10.0.0.10 .. 10.0.0.19).
  std::uint32_t max_per_ip = 0;
  std::uint32_t max_regular = 0;  // connected IPs not on the whitelist (79645be: 75)
  // Handshakes accepted in the last `new_window_ns`, node-wide (recorded in mark_inbound).
  std::uint32_t max_new_inbound = 0;
  Duration new_window_ns = seconds(60);
  // Old handshakes leave the window only at a prune, and a prune runs only when this long
  // has passed since the last one (cleanup_old_connections): an entry counts for up to
  // new_window_ns + prune_interval_ns.
  Duration prune_interval_ns = seconds(10);
  // A whitelisted IP is checked against max_total only (79645be).
  bool whitelist_bypass = false;
};

// The listener's rule for a valid Handshake from an IP this node already has a connection
// with (server.rs / peer_connection_registry.rs at the commits named).
enum class DuplicatePolicy : std::uint8_t {
  // ea701a4: the connection manager knows the IP (dialing or connected out, or an inbound
  // whose session has not ended): if our IPv4 octets are higher, the new connection's writer
  // is registered, Ack is written and its read loop ends (the socket stays open as the IP's
  // writer: "deaf"); else the manager forgets the IP and the connection is accepted.
  kOctetTieBreak,
  kAccept,  // 1f246fd, 808d30a: accepted; the newest registration owns the IP's writer
  kReject,  // d6b4383, a1f6703, 7965e88: closed, no Ack (CloseReason::kDuplicateConnection)
  // 4233e37: against an outbound, the lower IP accepts (its outbound stays open) and the
  // higher rejects; against an inbound, rejected.
  kTieBreakOutbound,
};
inline constexpr std::array<std::string_view, 4> kDuplicatePolicyNames = {
    "octet-tie-break", "accept", "reject", "tie-break-outbound"};

struct ConnPolicy {
  AdmissionLimits limits;
  DuplicatePolicy duplicate = DuplicatePolicy::kOctetTieBreak;
  // The dialer reserves the IP before connecting (083e136 mark_connecting): a dial in
  // progress counts as a connection to that IP for the duplicate rule. At the incident
  // commits only the octet tie-break's connection manager sees dials.
  bool dialer_reserves_ip = false;
};

}  // namespace ts::node
