// TCP retransmission under a loss fault, with Linux's constants (sim/linux_tcp.h). A lost
// transmission of a segment is retransmitted one RTO after it; the RTO starts at kMinRto
// (TCP_RTO_MIN; the model has no RTT-based estimate above it), doubles with each retransmission of
// the same segment and is capped at kMaxRto (TCP_RTO_MAX). When the kMaxRetransmits-th
// retransmission (tcp_retries2) is lost too, the sender's kernel gives up one RTO later and
// the connection is reset (`retransmit_timeout`): with these constants 924.6 s after the
// segment was first sent (0.2 + 0.4 + ... + 102.4 s, then six capped 120 s timeouts).
#pragma once

#include <algorithm>

#include "common/prng.h"
#include "common/time.h"
#include "sim/linux_tcp.h"

namespace ts::sim {

using linux_tcp::kMaxRetransmits;
using linux_tcp::kMaxRto;
using linux_tcp::kMinRto;

// One segment's retransmissions so far, across every loss fault that hits it.
struct Retransmits {
  int count = 0;           // retransmissions sent
  Duration rto = kMinRto;  // the timeout running for the latest transmission
  Duration waited_ns = 0;  // first send -> the transmission that got through, or the give-up
  bool gave_up = false;    // the kernel gave up, waited_ns after the first send
};

// Draws, under one loss fault (each transmission lost with probability `loss`), the losses
// of the segment's next transmissions, continuing `r`. Draws nothing once r.gave_up.
inline void draw_losses(Prng& rng, Ratio loss, Retransmits& r) {
  while (!r.gave_up && rng.chance(loss)) {
    r.waited_ns += r.rto;
    if (r.count == kMaxRetransmits) {
      r.gave_up = true;
      return;
    }
    ++r.count;
    r.rto = std::min(2 * r.rto, kMaxRto);
  }
}

}  // namespace ts::sim
