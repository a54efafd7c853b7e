// WriterRegistry: the node's one writer per remote IP (peer_connection_registry.rs: a map
// keyed by IP whose `insert` replaces). What upstream writes "to IP X" (the listener's
// replies and forwarded broadcasts, send_to_peer) goes to the connection registered last
// for X, whichever connection it was meant for. Few entries per node: two flat parallel
// vectors, so that is_writer (on every listener send) scans 8 bytes per entry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "node_core/node_io.h"

namespace ts::node {

class WriterRegistry {
 public:
  // `conn` becomes the writer for `ip`, replacing any other.
  void set(std::string_view ip, ConnId conn);
  // The writer for `ip`, or 0 when none is registered.
  ConnId writer(std::string_view ip) const;
  // Whether `conn` is the writer of some IP.
  bool is_writer(ConnId conn) const;
  // A connection ended: it is no longer anyone's writer.
  void erase_conn(ConnId conn);
  // b5513be's unregister_peer(ip).
  void erase_ip(std::string_view ip);
  void clear() {
    ips_.clear();
    conns_.clear();
  }

 private:
  void erase_at(std::size_t i);
  std::vector<std::string> ips_;  // one entry per IP
  std::vector<ConnId> conns_;     // conns_[i] writes to ips_[i]
};

}  // namespace ts::node
