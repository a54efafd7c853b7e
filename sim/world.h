// World: one simulated network. It owns the scheduler, one node_core::Node per scenario
// node, the TCP connections between them and the fault schedule, and drives the nodes:
//
//   dial    -> SYN after d(dialer->listener) -> SYN-ACK, RST (port closed) or nothing
//              (host down) after d(listener->dialer)
//   SYN-ACK -> dialer Connected; the final ACK opens the dialer->listener stream and the
//              listener accepts when it arrives
//   Send    -> a segment with the stream's next sequence number; it arrives after a latency
//              sample (plus loss retransmissions and bandwidth queueing under faults)
//   Close   -> FIN, the stream's last segment
//
// The receiver hands segments to the node strictly in sequence order (a TCP receive
// buffer): a segment that arrives early waits for the ones before it. A partition defers
// every segment crossing it to the heal; nothing is lost. Each direction of each
// connection draws from its own PRNG stream derived from (seed, connection serial,
// direction). Every connection becomes one ConnRecord row when both sides are done.
//
// Invariants checked while running (a violation ends the run with an Error): every
// direction of every stream keeps byte accounts and CRC-32Cs at both ends
// (sim/stream_ledger.h); each delivery must continue the delivered stream byte for byte, a
// connection's accounts must balance when it ends, and at the end of the run every pooled
// segment must be accounted for (in flight, or returned).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/prng.h"
#include "common/result.h"
#include "driver/host_index.h"
#include "driver/link_faults.h"
#include "driver/output_router.h"
#include "driver/run_stats.h"
#include "faults/fault.h"
#include "node_core/node.h"
#include "scenario/scenario.h"
#include "sim/latency.h"
#include "sim/retransmit.h"
#include "sim/scheduler.h"
#include "sim/stream_ledger.h"
#include "sim/wire_observer.h"
#include "store/conn_record.h"
#include "store/recorder.h"

namespace ts::sim {

// Told how far a run has got, every few thousand events (for a progress line). Must not
// touch the World. Wall-clock use is the sink's business; the run never reads it.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void on_progress(SimTime now, SimTime end, std::uint64_t events) = 0;
};

// Test-only sabotage, to show that the stream checks fire: the first data segment with bytes
// has one delivered byte flipped, or is dropped on arrival without being accounted for, or
// (an orphan: its connection already ended) is never returned to the pool.
enum class TestSabotage : std::uint8_t { kNone, kCorruptDelivery, kDropSegment, kLeakSegment };

class World {
 public:
  // `scenario` must outlive the World. `recorder` may be null (nothing recorded).
  World(const Scenario& scenario, std::uint64_t seed, Recorder* recorder);
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs until virtual time `duration_ns` or until `*interrupt` becomes true (checked every
  // few thousand events). Records every connection; open ones are marked open_at_end.
  Result<RunStats> run(Duration duration_ns, const std::atomic<bool>* interrupt = nullptr);

  std::size_t node_count() const { return nodes_.size(); }
  const std::vector<Fault>& faults() const { return faults_; }
  void set_test_sabotage(TestSabotage s) { sabotage_ = s; }
  // Test-only nondeterminism: the `nth` data segment sent (1-based) arrives 1 ns later than
  // its latency draw says. 0 = off. Used to show check-determinism finds the divergence.
  void set_test_nondeterminism(std::uint64_t nth) { plant_nth_segment_ = nth; }
  // Every dispatched event is appended to `trace` (with the node that handles it); null:
  // none. `trace` must outlive run(). Costs one pointer test per event when off.
  struct TracedEvent {
    Event event;
    std::int64_t node;  // the node the event is for, -1 if none (faults, samples)
    // Events scheduled before this one was popped (the scheduler's seq counter then): the
    // events with seq in [previous one's scheduled_before, this one's) were scheduled while
    // the previous event was dispatched (bench/event_trace.h rebuilds delays from this).
    std::uint64_t scheduled_before = 0;
  };
  void set_trace(std::vector<TracedEvent>* trace) { trace_ = trace; }
  // The events still pending when run() ends (never dispatched), appended in (at, seq)
  // order; null: none. `out` must outlive run().
  void set_undispatched(std::vector<Event>* out) { undispatched_ = out; }
  // Progress reports during run(); null: none. `sink` must outlive run().
  void set_progress(ProgressSink* sink) { progress_ = sink; }
  // Packets as they are sent (pcap export); `obs` must outlive run(). Null: none.
  void set_wire_observer(WireObserver* obs) { wire_ = obs; }
  // Timer events dropped because the process that set them is gone (tests, diagnostics).
  std::uint64_t stale_timers_dropped() const { return stale_timers_; }

 private:
  static constexpr std::uint32_t kNoFault = 0xffffffffu;
  static constexpr std::uint32_t kNoSegment = 0xffffffffu;
  enum class SideState : std::uint8_t { kIdle, kConnecting, kOpen, kClosed };
  enum class NodeState : std::uint8_t {
    kNotStarted,   // before its start time: the host answers SYNs with RST
    kUp,           // running
    kProcessDown,  // host up, process stopped (upgrade in progress): RST
    kHostDown,     // crashed host: packets vanish
  };

  struct SimNode {
    std::unique_ptr<node::Node> core;
    const node::VersionProfile* profile = nullptr;
    std::vector<std::uint32_t> peer_node;  // node's peer index -> world node index
    NodeState state = NodeState::kNotStarted;
    std::uint32_t incarnation = 0;  // (re)starts so far: picks each process's PRNG stream
    // Scheduler seq when the current process started: its timers have seq >= this; an
    // earlier process's are dropped (by seq, which never wraps, not by incarnation).
    std::uint64_t started_seq = 0;
    SimTime paused_until = 0;         // > now: frozen, app events wait until then
    std::uint32_t refusing = 0;       // active `refuse` faults on this node
    std::uint16_t next_port = 49152;  // ephemeral ports for its dials
    Duration clock_offset_ns = 0;
    std::int64_t drift_ppm = 0;
    SimTime drift_since = 0;
    std::uint32_t clock_fault = kNoFault;    // index of the clock_skew fault that set the clock
    std::vector<node::Block> chain_on_disk;  // kept across a stop; restored at the next start
  };

  struct SimConn {
    std::uint32_t serial = 0;       // 0 = free slot
    std::uint32_t dialer_peer = 0;  // the peer index the dialer used
    std::uint16_t dialer_port = 0;
    SideState side[2] = {SideState::kIdle, SideState::kIdle};  // [dialer, listener]
    // The side's socket is gone while the peer's may be open (its process stopped, or its
    // kernel gave up retransmitting): its host answers later segments with RST once it is
    // up (a crashed host drops them while down).
    bool crashed[2] = {false, false};
    SimTime last_arrival[2] = {0, 0};  // per direction: 0 dialer->listener, 1 back
    SimTime busy_until[2] = {0, 0};    // bandwidth faults: the direction's queue
    SimTime last_rx_listener = 0;      // the listener's last segment received (keepalive idle)
    bool keepalive_armed = false;      // a kKeepalive event is pending
    // Per direction: the sender's writes block (kWriteBlockedBytes in flight); the sending
    // node was told (kWriteBlocked).
    bool write_blocked[2] = {false, false};
    std::uint32_t next_send_seq[2] = {0, 0};
    std::uint32_t next_recv_seq[2] = {0, 0};
    // Per direction, the segments that arrived before their turn, in arrival order: the
    // first one's index, linked through Segment::next_parked (kNoSegment: none).
    std::uint32_t parked[2] = {kNoSegment, kNoSegment};
    const LatencyModel* latency[2] = {nullptr, nullptr};
    Prng rng[2] = {Prng(0), Prng(0)};
    StreamLedger ledger[2];  // per direction: the byte accounts (sim/stream_ledger.h)
    ConnRecord rec;
  };

  enum SegmentFlags : std::uint8_t { kData = 0, kAccept = 1, kFin = 2 };
  struct Segment {
    std::string bytes;
    std::uint64_t offset = 0;     // stream offset of bytes[0]
    std::uint32_t crc_after = 0;  // the sender's stream CRC-32C through these bytes
    std::uint32_t owner = 0;      // the connection's serial; 0 = a free slot
    std::uint32_t seq = 0;
    std::uint32_t next_parked = kNoSegment;  // see SimConn::parked
    std::uint8_t flags = kData;
    std::uint8_t dir = 0;
  };

  void dispatch(const Event& e);
  void dispatch_conn(SimConn& c, const Event& e);
  void restart_node(const Event& e);
  void timer_fired(const Event& e);
  void syn_arrive(SimConn& c, const Event& e);
  void syn_ack_arrive(SimConn& c, const Event& e);
  void dial_failed(SimConn& c, const Event& e);
  void deliver(SimConn& c, const Event& e);
  void rst_arrive(SimConn& c, const Event& e);
  void handle(std::uint32_t node, const node::Input& in);
  void carry_out(std::uint32_t node);
  void record_note(std::uint32_t node, node::Note& note);
  void record_ban(std::uint32_t node, const node::Ban& ban);
  void take_samples();
  void submit_transaction();

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
  std::uint32_t node_of(const SimConn& c, int side) const {
    return side == 0 ? c.rec.dialer : c.rec.listener;
  }

  // Time a segment of `bytes` sent now in direction `dir` arrives (latency, loss, bandwidth),
  // or kNever if it never does: every retransmission lost (then *give_up, if given, says
  // when the sender's kernel gives up and which fault did it), or a saturated delay.
  struct GiveUp {
    SimTime at = kNever;
    std::uint32_t fault = kNoFault;  // index into faults_
  };
  // `retransmits` false: one transmission that a loss fault simply loses (kNever), as
  // for a SYN or SYN-ACK, whose retransmission the connect path schedules itself.
  SimTime arrival(SimConn& c, int dir, std::size_t bytes, GiveUp* give_up = nullptr,
                  bool retransmits = true);
  void retransmit_abort(SimConn& c, const Event& e);
  // After the bytes in flight on direction `dir` changed: tells the sender (an event now)
  // when its writes start or stop blocking.
  void check_write_blocked(SimConn& c, int dir);
  void write_blocked(SimConn& c, const Event& e);
  void send_segment(SimConn& c, int dir, std::string bytes, std::uint8_t flags);
  void deliver_in_order(SimConn& c, int dir);
  void hand_over(SimConn& c, int dir, std::uint32_t segment);
  // Returns segment `s` to the pool and its bytes to the caller; they leave the stream's
  // in-flight account (`c` null: an orphan, its connection already ended). The caller
  // credits them as delivered or discarded.
  std::string release_segment(std::uint32_t s, SimConn* c);
  // Drops segment `s` of `c` for good: its bytes are discarded, the slot freed.
  void discard_segment(std::uint32_t s, SimConn& c);
  // The per-delivery stream check: `seg` continues the receiver's stream byte for byte.
  void check_delivery(SimConn& c, int dir, const Segment& seg);
  void check_balance(const SimConn& c);
  void check_pool_at_end();
  bool sabotage_once(TestSabotage kind, const Segment& seg);
  // A partition heal time if the direction src->dst is blocked now, else 0.
  SimTime blocked_until(std::uint32_t src, std::uint32_t dst) const;
  bool app_paused(std::uint32_t node) const { return nodes_[node].paused_until > sched_.now(); }

  void start_dial(std::uint32_t node, std::uint32_t peer);
  // Transmission `k` (0 = first) of the dial's SYN goes out now.
  void send_syn(SimConn& c, std::uint32_t k);
  // Transmission `k` of the SYN, or its answer, was lost: the kernel's next retransmission,
  // or after the last one its give-up (sim/linux_tcp.h).
  void syn_lost(SimConn& c, std::uint32_t k);
  // Keepalive on the listener's side (the listener's profile, sim/linux_tcp.h): armed when
  // a fault may make dialers unreachable; probes while they are.
  void arm_keepalives();
  void keepalive(SimConn& c, const Event& e);
  bool dialer_answers_probe(const SimConn& c) const;
  void local_close(SimConn& c, Side side, node::CloseReason reason, bool send_fin = true);
  void finish_if_done(SimConn& c);
  void finish(SimConn& c);
  // The fault to charge a connection's end to, or 0: the latest fault, active or ended
  // within kBlameWindow, that touches the connection's nodes or link, when the close
  // reason is one a fault can cause. Faults that end connections directly (crash,
  // upgrade, RST, injected bytes) set fault_id themselves.
  std::uint32_t blame(const SimConn& c) const;
  void fail_invariant(const std::string& what);
  void record_error(Result<bool> r);

  void start_node(std::uint32_t node, const node::VersionProfile* profile);
  void stop_node(std::uint32_t node, bool graceful, std::uint32_t fault_id);
  // Faults (sim/world_faults.cc): World as the engine the kinds' handlers act through.
  class FaultAdapter;
  void fault_start(std::uint32_t index);
  void fault_phase(std::uint32_t index);
  void fault_end(std::uint32_t index);
  void record_clock(std::uint32_t n);

  const Scenario& sc_;
  std::uint64_t seed_;
  std::uint64_t link_seed_;
  Recorder* rec_;
  Scheduler sched_;
  std::vector<SimNode> nodes_;
  std::vector<std::string> ips_;  // the scenario's addresses, in node order
  HostIndex hosts_;               // the nodes by address: peers learned by peer exchange
  // The world node behind `node`'s peer index `peer` (a seed, or an address it learned).
  std::uint32_t peer_to_node(std::uint32_t node, std::uint32_t peer) const;
  OutputRouter router_;  // notes, chain events, bans: to the recorder and sinks
  Prng tx_rng_{0};       // client transactions: times, nodes, txids
  std::vector<SimConn> conns_;
  std::vector<std::uint32_t> free_conns_;
  std::vector<Segment> segments_;
  std::vector<std::uint32_t> free_segments_;
  std::vector<node::Output> outputs_;  // scratch, reused
  // Buffers of delivered data segments, for the nodes' next sends (Node::set_payload_pool).
  std::vector<std::string> spare_payloads_;
  // Emptied pending-ping sets, for the nodes' next pings (Node::set_ping_pool).
  std::vector<node::Node::PendingPings> spare_ping_sets_;
  std::vector<Fault> faults_;
  LinkFaults link_faults_{faults_};  // the active link faults
  Prng fault_rng_;
  std::uint32_t next_serial_ = 1;
  RunStats stats_;
  std::string first_error_;
  std::int64_t event_node(const Event& e);
  TestSabotage sabotage_ = TestSabotage::kNone;
  std::uint64_t plant_nth_segment_ = 0;
  std::uint64_t segments_sent_ = 0;
  std::uint64_t stale_timers_ = 0;
  std::uint64_t orphan_bytes_ = 0;  // in flight for connections already finished
  std::vector<TracedEvent>* trace_ = nullptr;
  std::vector<Event>* undispatched_ = nullptr;
  ProgressSink* progress_ = nullptr;
  WireObserver* wire_ = nullptr;
};

}  // namespace ts::sim
