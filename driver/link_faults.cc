#include "driver/link_faults.h"

#include <algorithm>

namespace ts::sim {

SimTime LinkFaults::blocked_until(std::uint32_t src, std::uint32_t dst, SimTime now) const {
  SimTime until = 0;
  for (std::uint32_t fi : active_) {
    const Fault& f = faults_[fi];
    if (f.kind->link_effect == LinkEffect::kBlock && f.matches(src, dst))
      until = std::max(until, f.kind->blocked_until(f, now));
  }
  return until;
}

const LatencyModel* LinkFaults::latency(std::uint32_t src, std::uint32_t dst,
                                        const LatencyModel* base) const {
  const LatencyModel* model = base;
  for (std::uint32_t fi : active_) {
    const Fault& f = faults_[fi];
    if (f.kind->link_effect == LinkEffect::kLatency && f.matches(src, dst)) model = &f.latency;
  }
  return model;
}

}  // namespace ts::sim
