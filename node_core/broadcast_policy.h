// BroadcastPolicy: the listener's server broadcast channel (server.rs:58 at ea701a4), as
// data - whether a listener re-broadcasts the BFT messages it receives, and what the
// channel's capacity costs a listener connection whose writes are blocked. Model code:
// node_core/broadcast_channel.{h,cc}; docs/fidelity.md "Server broadcast channel".
//
// relay_bft is false by default; `pre-fix` (and so every incident profile) turns it on,
// 6e08456 (`heartbeat-relay` here) and the hypothetical later transport turn it off.
#pragma once

#include <cstdint>

namespace ts::node {

struct BroadcastPolicy {
  // A listener re-broadcasts every BlockProposal, BlockVote and BlockCommit it receives on
  // the server broadcast channel after handling it, whatever the result, with no duplicate
  // check (server.rs:716-728 at ea701a4/b5513be/31ad283; removed by 6e08456). Every
  // listener connection's task forwards it to its IP's registered writer, the arriving
  // connection's included.
  bool relay_bft = false;
  // broadcast::channel(1024) (server.rs:58). A listener connection whose forwarding task is
  // stuck in a blocked write while more than this many messages are sent on the channel
  // gets RecvError::Lagged at its next recv and its loop ends (server.rs:797; the same at
  // every commit through 49f500d, server.rs:1409 at 51218aa). 0: unbounded. Dialer
  // connections are not subscribers here (their blocked writes are not modelled).
  std::uint32_t capacity = 1024;
};

}  // namespace ts::node
