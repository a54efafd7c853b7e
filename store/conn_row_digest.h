// ConnRowDigest: what the summary reads of one connection row, in the values the results DB
// holds for it (connection_times: label ids of the run's labels table, absolute ns times,
// kNever where the DB holds NULL). A ConnRowObserver sees each row as the Recorder queues it,
// so a summary can be streamed instead of read back (analysis/link_accumulator.h).
#pragma once

#include <cstdint>

#include "common/time.h"

namespace ts::sim {

struct ConnRowDigest {
  std::uint64_t conn_id = 0;
  std::uint32_t dialer = 0, listener = 0;
  std::int64_t dialer_version = 0, listener_version = 0, close_reason = 0;  // label ids
  SimTime t_dial = 0;
  SimTime t_connect = kNever;        // NULL: never established
  SimTime t_closed_dialer = kNever;  // NULL: open at the end
  SimTime t_last_ping = kNever;
  std::int64_t pings_sent = 0, pongs_matched = 0, protocol_errors = 0;
  Duration rtt_avg = 0;       // rtt_avg_ns, when pongs_matched > 0
  bool faulted = false;       // fault_id IS NOT NULL
  bool error_in_row = false;  // error_by IS NOT NULL (schema 8)
};

class ConnRowObserver {
 public:
  virtual ~ConnRowObserver() = default;
  virtual void on_connection_row(const ConnRowDigest& row) = 0;
};

}  // namespace ts::sim
