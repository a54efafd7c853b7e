// LiveWorld as the engine of the fault kinds (faults/fault_kind.h). Live mode runs the
// kinds marked `live` (check_live_scenario refuses the others before anything starts):
// link states (blocked, latency) and resets. Node primitives are the simulator's only.
#include <algorithm>

#include "common/assert.h"
#include "live/live_world.h"

namespace ts::live {

using node::CloseReason;

class LiveWorld::FaultAdapter final : public sim::FaultEngine {
 public:
  explicit FaultAdapter(LiveWorld& w) : w_(w) {}

  SimTime now() const override { return w_.sched_.now(); }
  void activate_link_fault(std::uint32_t index) override { w_.link_faults_.activate(index); }
  void deactivate_link_fault(std::uint32_t index) override { w_.link_faults_.deactivate(index); }
  void arm_keepalives() override {}  // the kernels' own keepalives run on loopback
  void schedule_phase(SimTime at, std::uint32_t index) override {
    w_.schedule(at, Ev::kFaultStart, index, 1);
  }
  void reset_connections(const sim::Fault& f) override;
  void inject(const sim::Fault&, std::string (*)(const sim::Fault&, Prng&)) override { refused(); }
  void refuse(std::uint32_t, int) override { refused(); }
  void crash(std::uint32_t, const sim::Fault&, std::uint32_t) override { refused(); }
  void pause(std::uint32_t, SimTime) override { refused(); }
  void set_clock(std::uint32_t, const sim::Fault&, std::uint32_t) override { refused(); }
  void clear_clock(std::uint32_t, std::uint32_t) override { refused(); }
  void upgrade(std::uint32_t, const sim::Fault&, std::uint32_t) override { refused(); }

 private:
  // check_live_scenario refuses the kinds that would get here.
  static void refused() { TS_ASSERT(false && "a fault kind live mode does not run"); }

  LiveWorld& w_;
};

void LiveWorld::FaultAdapter::reset_connections(const sim::Fault& f) {
  std::vector<std::uint32_t> hit;
  for (auto& [serial, c] : w_.conns_)
    if (c->open[0] && (f.matches(c->dialer, c->listener) || f.matches(c->listener, c->dialer)))
      hit.push_back(serial);
  for (auto serial : hit) {
    for (int side = 0; side < 2; ++side) {
      auto it = w_.conns_.find(serial);
      if (it == w_.conns_.end()) break;
      Conn& c = *it->second;
      if (c.done[side]) continue;
      const std::uint32_t n = side == 0 ? c.dialer : c.listener;
      const bool was_open = c.open[side];
      c.rec.fault_id = f.id;
      w_.close_side(c, side, CloseReason::kReset, true);
      if (was_open) w_.handle(n, node::Closed{id_of(serial), CloseReason::kReset});
    }
  }
}

void LiveWorld::fault_event(const Event& e) {
  const sim::Fault& f = faults_[e.a];
  FaultAdapter engine(*this);
  if (e.kind == Ev::kFaultEnd) {
    if (f.kind->end) f.kind->end(f, e.a, engine);
  } else if (e.b == 0) {
    f.kind->start(f, e.a, engine);
  } else {
    f.kind->phase(f, e.a, engine);
  }
}

}  // namespace ts::live
