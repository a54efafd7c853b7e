// Fidelity: per-link metrics of a run (sim or real) and their comparison.
//
// A real run made with the harness engine dials each link once (tm-net-harness has no
// client.rs redial loop), so it is compared on each link's FIRST connection only: its
// outcome (open at the end, or how and by whom it was closed), lifetime, ping interval and
// logged error lines. A full-node run (engine `node`) runs upstream's own redial loop and is
// compared on every connection: class, connections, median lifetime, redial and ping
// intervals, error lines.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/time.h"

namespace ts::real {

struct LinkMetrics {
  std::string dialer_ip, listener_ip;  // scenario addresses
  std::string link_class;              // all connections: down|stable|cycling|flapping; first only:
                                       // open | closed:<reason>/<closed_by>
  std::uint64_t connections = 0;       // established
  Duration median_lifetime_ns = -1;    // as the dialer saw it
  Duration redial_ns = -1;             // median: dialer's close -> next dial
  Duration ping_interval_ns = -1;      // mean periodic ping interval
  double errors_per_connection = 0;    // protocol-error lines / connections
  std::set<std::string> error_texts;   // normalize_addresses() of each logged line
};

struct RunMetrics {
  std::int64_t run_id = 0;
  std::string mode;                    // sim | live | real
  std::string engine;                  // real runs: harness | node; "" otherwise
  std::vector<std::string> model_ips;  // mixed real runs: the scenario IPs run as model nodes
  Duration end_ns = 0;
  std::map<std::pair<std::string, std::string>, LinkMetrics> links;  // by (dialer, listener) IP
};

// The engine a real run used (node_events 'start' rows written by import-capture).
Result<std::string> real_engine(sqlite3* db, std::int64_t run_id);
// Metrics of run `run_id` (<= 0: the newest run of `mode`); first connection per link only
// when `first_only`.
Result<RunMetrics> measure_run(sqlite3* db, std::int64_t run_id, bool first_only);

struct Tolerances {
  double relative = 0.10;                      // redial, ping interval
  double connections_relative = 0.10;          // connections, errors per connection
  double lifetime_relative = 0.25;             // median lifetime ...
  Duration lifetime_absolute_ns = seconds(1);  // ... or within this: a loaded host delays a
                                               // sub-ms loopback close by tens of ms
};

struct LinkVerdict {
  std::string dialer_ip, listener_ip;
  const LinkMetrics* sim = nullptr;
  const LinkMetrics* real = nullptr;
  std::vector<std::string> differs;  // names of the metrics that disagree; empty: agrees
};

// One verdict per link of either run, by (dialer, listener). `first_only` skips the metrics a
// single connection cannot show (connections, redial).
std::vector<LinkVerdict> compare_links(const RunMetrics& sim, const RunMetrics& real,
                                       const Tolerances& tol, bool first_only);

}  // namespace ts::real
