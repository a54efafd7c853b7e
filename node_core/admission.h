// InboundAdmission: the listener's connection limits at accept (AdmissionLimits), with the
// node-wide record of recent handshakes they need. One per node; times are the node's
// monotonic `now` (ns).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "node_core/conn_policy.h"

namespace ts::node {

// One IP this node is connected with (connection manager state Connected: an outbound
// connection, or an inbound one past its handshake). Listed once per IP.
struct ConnectedIp {
  std::string ip;
  bool inbound = false;      // the IP's entry came from an inbound handshake
  bool whitelisted = false;  // on the node's whitelist
};

class InboundAdmission {
 public:
  explicit InboundAdmission(const AdmissionLimits& limits) : limits_(&limits) {}
  // Whether any limit is set (else admit() always says yes and needs no connected list).
  bool active() const;
  // Clears the handshake record; the prune clock starts at `now` (the manager's creation).
  void start(SimTime now);
  // "" when a connection from `ip` accepted at `now` is admitted; else the refusal, as
  // upstream logs it. `connected` lists each connected IP once.
  std::string admit(SimTime now, std::string_view ip, bool whitelisted,
                    const std::vector<ConnectedIp>& connected);
  // An inbound handshake was accepted at `now` (mark_inbound's record_new_connection).
  void record_handshake(SimTime now);
  std::size_t recent_handshakes() const { return recent_.size(); }

 private:
  void prune(SimTime now);

  const AdmissionLimits* limits_;
  std::vector<SimTime> recent_;  // handshake times not yet pruned, oldest first
  SimTime last_prune_ = 0;
};

}  // namespace ts::node
