// Builds an EventTrace (bench/event_trace.h) from a World run's trace (World::set_trace)
// and the events it left pending (World::set_undispatched).
#pragma once

#include <vector>

#include "bench/event_trace.h"
#include "sim/world.h"

namespace ts::bench {

// Group g holds the events with seq in [pops[g-1].scheduled_before, pops[g].scheduled_before)
// (group 0 from seq 0), each as its time minus the time it was scheduled at (0 for group
// 0, else the time of pop g). Every such event's time is known: it was popped, or left
// pending. Returns false when one is not, or lies in the past (a broken trace).
inline bool build_event_trace(const std::vector<sim::World::TracedEvent>& pops,
                              const std::vector<sim::Event>& left, EventTrace& t) {
  if (pops.empty()) return false;
  const std::uint64_t scheduled = pops.back().scheduled_before;
  std::vector<SimTime> at_of(scheduled, -1);
  for (const auto& p : pops)
    if (p.event.seq < scheduled) at_of[p.event.seq] = p.event.at;
  for (const auto& e : left)
    if (e.seq < scheduled) at_of[e.seq] = e.at;
  t = EventTrace{};
  t.group_start.assign(1, 0);
  std::uint64_t first = 0;
  for (std::size_t g = 0; g < pops.size(); ++g) {
    const SimTime now = g == 0 ? 0 : pops[g - 1].event.at;
    for (std::uint64_t s = first; s < pops[g].scheduled_before; ++s) {
      if (at_of[s] < now) return false;
      t.delays_ns.push_back(at_of[s] - now);
    }
    first = pops[g].scheduled_before;
    t.group_start.push_back(t.delays_ns.size());
    t.pop_checksum += static_cast<std::uint64_t>(pops[g].event.at) ^ pops[g].event.seq;
  }
  return true;
}

}  // namespace ts::bench
