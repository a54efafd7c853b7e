// The server broadcast channel in a run (sim/world.cc check_write_blocked): a dialer whose
// process is paused stops reading; its listeners' writes to it block once
// linux_tcp::kWriteBlockedBytes are unread in flight, and each listener connection whose
// subscriber missed more than the channel's capacity (1024, server.rs:58) while blocked
// ends as `broadcast_lagged` when the bytes are read again (server.rs:797).
#include <doctest/doctest.h>

#include <fstream>

#include "node_core/node.h"
#include "sim/linux_tcp.h"
#include "test_util.h"

using namespace ts;
using ts::test::run;

namespace {

sim::Scenario postfix_with(const std::string& yaml) {
  return test::load_with("topologies/six_nodes_postfix.yaml", yaml);
}

}  // namespace

TEST_CASE("broadcast: a paused dialer's listener connections lag and end when it resumes") {
  // Node 3 (165.232.154.150) dials 0, 1, 2, 4 and 5 (the string rule). 36000 client
  // transactions an hour: each listener broadcasts a TransactionBroadcast and its vote for
  // each of its ~6000/h, ~200 channel messages a minute, so in the 30-min pause each
  // listener's socket to node 3 fills (144 KiB) and more than 1024 more are sent.
  auto sc = postfix_with(R"(faults:
  - {kind: pause, at: 5m, for: 30m, node: 165.232.154.150}
)");
  sc.consensus.tx_per_hour = 36000;
  const SimTime resume = 35 * kMinute;
  auto r = run(sc, 1, 40 * kMinute);
  const std::string lagged = " FROM connections WHERE close_reason = 'broadcast_lagged'";
  CHECK(r.scalar("SELECT count(*)" + lagged) == 5);
  CHECK(r.scalar("SELECT count(*)" + lagged + " AND dialer = 3 AND closed_by = 'listener'") == 5);
  CHECK(r.scalar("SELECT min(t_close_ns)" + lagged) >= resume);
  // Nothing lags without the pause.
  auto sc2 = postfix_with("");
  sc2.consensus.tx_per_hour = 36000;
  auto r2 = run(sc2, 1, 40 * kMinute);
  CHECK(r2.scalar("SELECT count(*)" + lagged) == 0);
}
