// World: one simulated network. It owns the scheduler, one node_core::Node per scenario
// node, and the TCP connections between them, and drives the nodes with events:
//
//   dial      -> SYN after d(dialer->listener) -> SYN-ACK or RST after d(listener->dialer)
//   SYN-ACK   -> dialer Connected; ACK after d(dialer->listener) -> listener accepts
//   Send      -> bytes arrive after a latency sample, never before earlier bytes (in order)
//   Close     -> FIN after the bytes already sent -> the other side sees EOF
//
// Each direction of each connection draws latency from its own PRNG stream derived from
// (run seed, connection serial, direction), so results do not depend on event order in
// unrelated parts of the network. Every finished connection becomes one ConnRecord row.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/prng.h"
#include "common/result.h"
#include "node_core/node.h"
#include "sim/conn_record.h"
#include "sim/latency.h"
#include "sim/recorder.h"
#include "sim/scenario.h"
#include "sim/scheduler.h"

namespace ts::sim {

struct WorldStats {
  std::uint64_t events = 0;
  std::uint64_t connections = 0;
  std::uint64_t bytes = 0;
  std::uint64_t protocol_errors = 0;
  SimTime end_ns = 0;
  bool interrupted = false;
};

class World {
 public:
  // `scenario` must outlive the World. `recorder` may be null (nothing recorded).
  World(const Scenario& scenario, std::uint64_t seed, Recorder* recorder);
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs until virtual time `duration_ns` or until `*interrupt` becomes true (checked every
  // few thousand events). Records every connection; open ones are marked open_at_end.
  Result<WorldStats> run(Duration duration_ns, const std::atomic<bool>* interrupt = nullptr);

  std::size_t node_count() const { return nodes_.size(); }

 private:
  enum class SideState : std::uint8_t { kIdle, kConnecting, kOpen, kClosed };

  struct SimNode {
    std::unique_ptr<node::Node> core;
    const node::VersionProfile* profile = nullptr;
    std::vector<std::uint32_t> peer_node;  // node's peer index -> world node index
    bool up = false;
    std::uint16_t next_port = 49152;  // ephemeral ports for its dials
  };

  struct SimConn {
    std::uint32_t serial = 0;  // 0 = free slot
    std::uint32_t dialer_peer = 0;  // the peer index the dialer used
    std::uint16_t dialer_port = 0;
    SideState side[2] = {SideState::kIdle, SideState::kIdle};  // [dialer, listener]
    SimTime last_arrival[2] = {0, 0};  // per direction: 0 dialer->listener, 1 back
    const LatencyModel* latency[2] = {nullptr, nullptr};
    Prng rng[2] = {Prng(0), Prng(0)};
    ConnRecord rec;
  };

  void dispatch(const Event& e);
  void handle(std::uint32_t node, const node::Input& in);
  void carry_out(std::uint32_t node);

  // Connection helpers. An id given to nodes is (serial << 32) | slot.
  static node::ConnId conn_id(std::uint32_t slot, std::uint32_t serial) {
    return (static_cast<node::ConnId>(serial) << 32) | slot;
  }
  SimConn* conn_from_event(const Event& e);
  SimConn* conn_from_id(node::ConnId id);
  std::uint32_t slot_of(const SimConn& c) const {
    return static_cast<std::uint32_t>(&c - conns_.data());
  }
  Side side_of(const SimConn& c, std::uint32_t node) const {
    return c.rec.dialer == node ? Side::kDialer : Side::kListener;
  }
  // Arrival time for something sent now in direction `dir`, keeping the stream in order.
  SimTime arrival(SimConn& c, int dir);
  void start_dial(std::uint32_t node, std::uint32_t peer);
  void local_close(SimConn& c, Side side, node::CloseReason reason);
  void finish_if_done(SimConn& c);
  void finish(SimConn& c);
  void record_error(Result<bool> r);

  const Scenario& sc_;
  std::uint64_t seed_;
  std::uint64_t link_seed_;
  Recorder* rec_;
  Scheduler sched_;
  std::vector<SimNode> nodes_;
  std::vector<SimConn> conns_;
  std::vector<std::uint32_t> free_conns_;
  std::vector<std::string> payloads_;
  std::vector<std::uint32_t> free_payloads_;
  std::vector<node::Output> outputs_;  // scratch, reused
  std::uint32_t next_serial_ = 1;
  WorldStats stats_;
  std::string first_error_;
};

}  // namespace ts::sim
