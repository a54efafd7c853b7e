// LinkFaults: the link faults in force during a run (activated and deactivated by the fault
// kinds' handlers through either engine's FaultEngine), and what they do to one direction
// src -> dst of a link: a partition's stall, or a latency fault's model. The simulator's
// loss and bandwidth effects are its own (sim::World::arrival).
#pragma once

#include <cstdint>
#include <vector>

#include "common/time.h"
#include "faults/fault.h"
#include "sim/latency.h"

namespace ts::sim {

class LinkFaults {
 public:
  // `faults` (the run's, indexed by the handlers' fault index) must outlive this.
  explicit LinkFaults(const std::vector<Fault>& faults) : faults_(faults) {}

  void activate(std::uint32_t index) { active_.push_back(index); }
  void deactivate(std::uint32_t index) { std::erase(active_, index); }
  // Indices into the run's faults, in activation order.
  const std::vector<std::uint32_t>& active() const { return active_; }

  // A partition's heal time if direction src->dst is blocked at `now` (kNever: it never
  // heals), else 0.
  SimTime blocked_until(std::uint32_t src, std::uint32_t dst, SimTime now) const;
  // The latency model of direction src->dst: the latest-activated latency fault's on it,
  // else `base` (the scenario's).
  const LatencyModel* latency(std::uint32_t src, std::uint32_t dst, const LatencyModel* base) const;

 private:
  const std::vector<Fault>& faults_;
  std::vector<std::uint32_t> active_;
};

}  // namespace ts::sim
