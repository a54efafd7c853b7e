// World as the engine of the fault kinds (faults/fault_kind.h): the kinds' handlers decide
// what a fault does and when; this file offers them World's link and node primitives.
#include <algorithm>

#include "sim/world.h"

namespace ts::sim {

using node::CloseReason;

class World::FaultAdapter final : public FaultEngine {
 public:
  explicit FaultAdapter(World& w) : w_(w) {}

  SimTime now() const override { return w_.sched_.now(); }
  void activate_link_fault(std::uint32_t index) override { w_.link_faults_.activate(index); }
  void deactivate_link_fault(std::uint32_t index) override { w_.link_faults_.deactivate(index); }
  void arm_keepalives() override { w_.arm_keepalives(); }
  void schedule_phase(SimTime at, std::uint32_t index) override {
    w_.sched_.schedule(at, EventKind::kFaultStart, index, 1);
  }
  void reset_connections(const Fault& f) override;
  void inject(const Fault& f, std::string (*make)(const Fault& f, Prng& rng)) override;
  void refuse(std::uint32_t n, int delta) override {
    w_.nodes_[n].refusing = static_cast<std::uint32_t>(w_.nodes_[n].refusing + delta);
  }
  void crash(std::uint32_t n, const Fault& f, std::uint32_t index) override;
  void pause(std::uint32_t n, SimTime until) override;
  void set_clock(std::uint32_t n, const Fault& f, std::uint32_t index) override;
  void clear_clock(std::uint32_t n, std::uint32_t index) override;
  void upgrade(std::uint32_t n, const Fault& f, std::uint32_t index) override;

 private:
  World& w_;
};

void World::FaultAdapter::reset_connections(const Fault& f) {
  for (auto& c : w_.conns_) {
    if (c.serial == 0 || c.side[0] != SideState::kOpen) continue;
    if (!f.matches(c.rec.dialer, c.rec.listener) && !f.matches(c.rec.listener, c.rec.dialer))
      continue;
    if (!w_.fault_rng_.chance(f.fraction)) continue;
    // RST reaches both ends from the path: each side sees a reset.
    if (c.rec.t_close == kNever) c.rec.fault_id = f.id;
    if (w_.wire_) w_.wire_->on_rst(now(), c.serial, 0);
    const std::uint32_t slot = w_.slot_of(c), serial = c.serial;
    for (int s = 0; s < 2; ++s) {
      SimConn& cc = w_.conns_[slot];
      if (cc.serial != serial || cc.side[s] != SideState::kOpen) continue;
      const std::uint32_t n = w_.node_of(cc, s);
      w_.local_close(cc, static_cast<Side>(s), CloseReason::kReset, /*send_fin=*/false);
      if (cc.rec.closed_by == static_cast<Side>(s)) cc.rec.closed_by = Side::kNone;
      w_.handle(n, node::Closed{conn_id(slot, serial), CloseReason::kReset});
    }
  }
}

void World::FaultAdapter::inject(const Fault& f, std::string (*make)(const Fault& f, Prng& rng)) {
  for (auto& c : w_.conns_) {
    if (c.serial == 0 || c.side[0] != SideState::kOpen || c.side[1] != SideState::kOpen) continue;
    for (int dir = 0; dir < 2; ++dir) {
      if (!f.matches(w_.node_of(c, dir), w_.node_of(c, 1 - dir))) continue;
      w_.send_segment(c, dir, make(f, c.rng[dir]), kData);
    }
  }
}

void World::FaultAdapter::crash(std::uint32_t n, const Fault& f, std::uint32_t index) {
  if (w_.nodes_[n].state != NodeState::kUp) return;
  w_.stop_node(n, /*graceful=*/false, f.id);
  w_.nodes_[n].state = NodeState::kHostDown;
  if (w_.rec_) w_.record_error(w_.rec_->add_node_event(now(), n, -1, "crash", ""));
  if (f.restart_after_ns >= 0)
    w_.sched_.schedule(add_sat(now(), f.restart_after_ns), EventKind::kRestart, n, index);
}

void World::FaultAdapter::pause(std::uint32_t n, SimTime until) {
  if (w_.nodes_[n].state != NodeState::kUp) return;  // nothing runs to freeze
  // overlapping pauses: frozen until the last of them ends
  w_.nodes_[n].paused_until = std::max(w_.nodes_[n].paused_until, until);
  if (w_.rec_) w_.record_error(w_.rec_->add_node_event(now(), n, -1, "pause", ""));
}

void World::FaultAdapter::set_clock(std::uint32_t n, const Fault& f, std::uint32_t index) {
  SimNode& sn = w_.nodes_[n];
  sn.clock_fault = index;
  sn.clock_offset_ns = f.clock_offset_ns;
  sn.drift_ppm = f.drift_ppm;
  sn.drift_since = now();
  if (sn.core) sn.core->set_clock(sn.clock_offset_ns, sn.drift_ppm, sn.drift_since);
  w_.record_clock(n);
}

void World::FaultAdapter::clear_clock(std::uint32_t n, std::uint32_t index) {
  SimNode& sn = w_.nodes_[n];
  if (sn.clock_fault != index) return;  // a later skew fault set this clock
  sn.clock_fault = kNoFault;
  sn.clock_offset_ns = 0;
  sn.drift_ppm = 0;
  if (sn.core) sn.core->set_clock(0, 0, now());
  w_.record_clock(n);
}

void World::FaultAdapter::upgrade(std::uint32_t n, const Fault& f, std::uint32_t index) {
  SimNode& sn = w_.nodes_[n];
  const std::string change =
      std::string(sn.profile->name) + " -> " + std::string(f.to_profile->name);
  if (sn.state != NodeState::kUp) {
    // Not running: the new version is installed, and whatever starts the node next (its
    // start time, a crash's restart, or the operator after restart_delay if it was
    // started before) starts the new profile.
    if (w_.rec_)
      w_.record_error(w_.rec_->add_node_event(now(), n, -1, "upgrade", change + " (not running)"));
    sn.profile = f.to_profile;
    if (sn.state != NodeState::kNotStarted)
      w_.sched_.schedule(add_sat(now(), f.restart_delay_ns), EventKind::kRestart, n, index);
    return;
  }
  w_.stop_node(n, /*graceful=*/true, f.id);
  w_.nodes_[n].state = NodeState::kProcessDown;
  if (w_.rec_) w_.record_error(w_.rec_->add_node_event(now(), n, -1, "upgrade", change));
  w_.nodes_[n].profile = f.to_profile;  // what the operator starts after the delay
  w_.sched_.schedule(add_sat(now(), f.restart_delay_ns), EventKind::kRestart, n, index);
}

// A `fault_start` / `fault_end` node event, then the kind's handler.
void World::fault_start(std::uint32_t index) {
  const Fault& f = faults_[index];
  if (rec_)
    record_error(
        rec_->add_node_event(sched_.now(), f.nodes.empty() ? 0 : f.nodes[0], -1, "fault_start",
                             std::to_string(f.id) + " " + std::string(fault_kind_name(f.kind))));
  FaultAdapter engine(*this);
  f.kind->start(f, index, engine);
}

void World::fault_phase(std::uint32_t index) {
  const Fault& f = faults_[index];
  FaultAdapter engine(*this);
  f.kind->phase(f, index, engine);
}

void World::fault_end(std::uint32_t index) {
  const Fault& f = faults_[index];
  if (rec_)
    record_error(
        rec_->add_node_event(sched_.now(), f.nodes.empty() ? 0 : f.nodes[0], -1, "fault_end",
                             std::to_string(f.id) + " " + std::string(fault_kind_name(f.kind))));
  FaultAdapter engine(*this);
  if (f.kind->end) f.kind->end(f, index, engine);
}

}  // namespace ts::sim
