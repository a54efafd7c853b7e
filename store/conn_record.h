// ConnRecord: everything the results DB keeps about one TCP connection (one attempt).
// Times are ns of virtual time; kNever means "did not happen" and is stored as NULL.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/time.h"
#include "node_core/node_io.h"

namespace ts::sim {

enum class Side : std::uint8_t { kDialer = 0, kListener = 1, kNone = 2 };
std::string_view side_name(Side s);

struct ConnRecord {
  std::uint64_t conn_id = 0;  // run-unique serial, 1-based, in dial order
  std::uint32_t dialer = 0;   // node index
  std::uint32_t listener = 0;
  std::string_view dialer_version;  // profile names (static storage)
  std::string_view listener_version;

  SimTime t_dial = kNever;             // dialer called connect()
  SimTime t_connect = kNever;          // dialer saw the connection established
  SimTime t_accept = kNever;           // listener accepted it
  SimTime t_handshake = kNever;        // listener accepted a valid Handshake
  SimTime t_close = kNever;            // first close: a side closed, or a failure was seen
  SimTime t_closed_dialer = kNever;    // the dialer's socket was done
  SimTime t_closed_listener = kNever;  // the listener's socket was done
  node::CloseReason close_reason = node::CloseReason::kNone;
  Side closed_by = Side::kNone;
  bool open_at_end = false;    // still open when the run ended
  std::uint32_t fault_id = 0;  // the fault that ended it (0: none), see World::blame

  std::uint64_t msgs_d2l = 0, bytes_d2l = 0;  // written by the dialer
  std::uint64_t msgs_l2d = 0, bytes_l2d = 0;  // written by the listener
  SimTime t_last_ping = kNever;               // when the dialer wrote its latest ping
  std::uint32_t pings_sent = 0;               // by the dialer
  std::uint32_t pongs_matched = 0;            // dialer: Pongs that matched a pending nonce
  std::uint32_t pongs_unmatched = 0;          // dialer: Pongs with an unknown nonce
  std::uint32_t pings_missed = 0;             // dialer: pings that passed the timeout
  std::uint32_t pings_answered = 0;           // listener: Pongs it wrote
  std::uint32_t msgs_dropped = 0;             // dialer: messages dropped unhandled
  std::uint32_t protocol_errors = 0;          // either side
  std::uint32_t first_error_slot = 0;         // Recorder's: its first error, coded (0: none)
  Duration rtt_min = kNever, rtt_max = 0, rtt_sum = 0;  // over matched pongs
};

}  // namespace ts::sim
