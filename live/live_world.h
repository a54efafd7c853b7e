// LiveWorld: the same node_core::Node instances as the simulator, on real loopback TCP
// sockets through libuv, all in one process and one thread.
//
// Addresses: scenario node i listens on 127.0.0.(i+2) (127.0.(i/250).(i%250+2) beyond 250
// nodes) on an ephemeral port, and dials from its own address, so a listener knows the
// dialer by the source address. Nodes keep their scenario IPs inside node_core, so the
// string-order dial rule picks the same dialers as in the simulator and log lines name
// the scenario addresses. Only 127.0.0.0/8 is ever bound or dialled.
//
// Time: protocol time = real elapsed time / time_scale (0.01: 30 s of protocol time pass
// in 300 ms). Node timers and emulated delays run on the project's own Scheduler, in
// protocol-time ns, polled against uv_hrtime between libuv I/O passes (libuv timers have
// 1 ms granularity, too coarse at small scales).
//
// WAN emulation in the receive path (the "fault proxy"): a TCP connect completes for the
// dialer one sampled RTT after the dial and for the listener one one-way delay later;
// every byte read is handed to the node one sampled one-way delay after it was read, in
// order. Latency faults change the model; partitions stall a direction until the heal;
// `reset` faults RST the connections. Other fault kinds are refused in live mode.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/prng.h"
#include "common/result.h"
#include "driver/event_queue.h"
#include "driver/host_index.h"
#include "driver/link_faults.h"
#include "driver/output_router.h"
#include "driver/run_stats.h"
#include "node_core/node.h"
#include "scenario/scenario.h"
#include "store/conn_record.h"
#include "store/recorder.h"

namespace ts::live {

// The loopback address of scenario node `index` ("127.0.0.2" for node 0).
std::string loopback_ip(std::uint32_t index);
// True for 127.0.0.0/8 addresses.
bool is_loopback(const std::string& ip);
// Fails when the scenario uses something live mode cannot run (fault kinds, sizes).
Result<bool> check_live_scenario(const sim::Scenario& sc);
// `--port-base`: node i listens on base + i. 0 means "ephemeral ports". Otherwise every
// port must lie in [kMinPortBase, 65535]. Fails with a message naming the range.
constexpr int kMinPortBase = 1024;
Result<int> parse_port_base(const std::string& text, std::size_t nodes);

// Where one scenario node is, for mixed runs (LiveWorld::set_addresses): its own loopback
// address and port, and whether it runs in this process (a model node) or is a real node's
// process outside it that model nodes dial and that dials them.
struct NodeAddress {
  std::string ip;  // 127.0.0.0/8
  int port = 0;    // 0: ephemeral (only for a node run here)
  bool here = true;
};

class LiveWorld {
 public:
  // `scenario` must outlive the LiveWorld; `recorder` may be null.
  // `port_base` 0: ephemeral listening ports; otherwise node i listens on port_base + i
  // (checked by parse_port_base).
  LiveWorld(const sim::Scenario& scenario, std::uint64_t seed, sim::Recorder* recorder,
            double time_scale, int port_base = 0);
  ~LiveWorld();
  LiveWorld(const LiveWorld&) = delete;
  LiveWorld& operator=(const LiveWorld&) = delete;

  // Runs for `duration_ns` of protocol time (or until *interrupt): closes every socket,
  // records every connection, then returns.
  Result<sim::RunStats> run(Duration duration_ns, const std::atomic<bool>* interrupt = nullptr);

  // The address node `index` listens on (valid once it started): for tests that talk to
  // a live node from outside.
  std::string listen_ip(std::uint32_t index) const {
    return addrs_.empty() ? loopback_ip(index) : addrs_[index].ip;
  }
  int listen_port(std::uint32_t index) const { return nodes_[index].port; }
  // Host clock: node inputs and records carry the host's monotonic clock (uv_hrtime, scaled)
  // at the moment they are handled, lateness included, instead of the due virtual time of
  // the event. Set before the run starts.
  void set_host_clock(bool on) { host_clock_ = on; }
  // Mixed runs: node i binds and is dialled at addrs[i] (one entry per scenario node), and its
  // node_core knows itself and its peers by these addresses (not the scenario's), so its log
  // lines name the addresses on the wire. Nodes with `here` false are not run; model nodes
  // dial them at their address, and a connection from their address is accepted as theirs.
  // Fails (before the run) when the table does not fit the scenario. Set before the run.
  Result<bool> set_addresses(std::vector<NodeAddress> addrs);
  // Called for every protocol-error line a node logs (node index, the line's text).
  std::function<void(std::uint32_t, const std::string&)> on_protocol_error;
  // Called once per node when its listening socket is bound: (node index, ip, port).
  std::function<void(std::uint32_t, const std::string&, int)> on_listen;
  // Runs the loop until protocol time `t_ns` (for tests driving a node step by step).
  Result<bool> run_until(SimTime t_ns, const std::atomic<bool>* interrupt = nullptr);
  Result<sim::RunStats> finish();

 private:
  struct Socket;
  struct Conn;
  struct Item {  // something read from a socket, to hand to the node at `at`
    SimTime at = 0;
    std::string bytes;
    enum Kind : std::uint8_t { kData, kAccept, kFin, kReset } kind = kData;
  };
  struct Conn {
    std::uint32_t serial = 0;
    std::uint32_t dialer = 0, listener = 0, dialer_peer = 0;
    Socket* sock[2] = {nullptr, nullptr};
    bool open[2] = {false, false};  // the node has been told Connected and not closed
    bool done[2] = {false, false};  // this side is finished (closed or never opened)
    bool connecting = true;         // dial not yet resolved
    bool external = false;          // accepted from a peer outside the scenario (tests)
    std::uint16_t dialer_port = 0;
    SimTime connect_at = 0;       // the dialer's emulated connect: dial + sampled RTT
    SimTime last_at[2] = {0, 0};  // per direction: in-order hand-over times
    // Per direction: (bytes written so far, protocol time of the write) for each write, so
    // a read can be stamped with when its bytes entered the network, not when the host's
    // own loopback delivered them; and when the writer closed (its FIN).
    std::deque<std::pair<std::uint64_t, SimTime>> writes[2];
    std::uint64_t written[2] = {0, 0}, read[2] = {0, 0};
    SimTime fin_at[2] = {kNever, kNever};
    std::deque<Item> inbound[2];  // per direction (0: dialer -> listener)
    Prng rng[2] = {Prng(0), Prng(0)};
    sim::ConnRecord rec;
  };
  struct Socket {
    uv_tcp_t tcp;
    LiveWorld* world = nullptr;
    std::uint32_t serial = 0;  // 0: not yet matched (accepted, peer unknown)
    int side = 0;              // 0 dialer, 1 listener
    std::uint32_t node = 0;
    bool closing = false;
  };
  struct LiveNode {
    std::unique_ptr<node::Node> core;
    std::vector<std::uint32_t> peer_node;
    uv_tcp_t listener;
    bool listening = false;
    int port = 0;
  };
  enum class Ev : std::uint8_t {
    kNodeStart,
    kTimer,
    kItem,
    kDialResolved,
    kConnectTimeout,
    kFaultStart,
    kFaultEnd
  };
  using Event = sim::BasicEvent<Ev>;

  SimTime now() const;
  // Protocol time for node inputs and records: the due time of the event being dispatched,
  // or the current time for I/O callbacks.
  // With the host clock (set_host_clock), always the host's monotonic clock at the moment.
  SimTime t_now() const {
    return clock_ >= 0 && !host_clock_ ? clock_ : std::max(now(), sched_.now());
  }
  void schedule(SimTime at, Ev kind, std::uint32_t a = 0, std::uint32_t b = 0, std::uint32_t c = 0);
  void dispatch(const Event& e);
  // The dial's outcome (kDialResolved, b = 0: connected) or its connect timeout.
  void dial_resolved(Conn& c, const Event& e);
  // Hands the next item of direction e.b to its node, unless a partition stalls it.
  void hand_over(Conn& c, const Event& e);
  void pump(SimTime until, const std::atomic<bool>* interrupt);
  void handle(std::uint32_t node, const node::Input& in);
  void carry_out(std::uint32_t node);
  void listen(std::uint32_t n);
  void start_node(std::uint32_t n);
  void dial(std::uint32_t node, std::uint32_t peer);
  Duration sample(Conn& c, int dir);
  // Queues `item` for the node receiving direction `dir`: one sampled one-way delay after
  // `sent_at`, never before earlier items of that direction.
  void enqueue(Conn& c, int dir, Item item, SimTime sent_at);
  void close_side(Conn& c, int side, node::CloseReason reason, bool reset);
  void maybe_finish(Conn& c);
  Conn* conn_of(node::ConnId id);
  void record_error(Result<bool> r) {
    if (!r.ok() && first_error_.empty()) first_error_ = r.error().message;
  }
  // The side (0 dialer, 1 listener) `node` holds of `c`; external peers only have side 1.
  static int side_of(const Conn& c, std::uint32_t node) {
    return c.external || c.dialer != node ? 1 : 0;
  }
  static node::ConnId id_of(std::uint32_t serial) { return serial; }
  SimTime blocked_until(std::uint32_t src, std::uint32_t dst) const {
    return link_faults_.blocked_until(src, dst, sched_.now());
  }
  // Faults (live/live_faults.cc): LiveWorld as the engine the kinds' handlers act through.
  class FaultAdapter;
  void fault_event(const Event& e);  // kFaultStart (b = 1: a phase) or kFaultEnd

  static void on_new_connection(uv_stream_t* server, int status);
  static void on_connect(uv_connect_t* req, int status);
  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_close(uv_handle_t* h);
  void read_bytes(Socket& s, ssize_t n, const uv_buf_t* buf);

  const sim::Scenario& sc_;
  std::uint64_t seed_;
  std::uint64_t link_seed_;
  sim::Recorder* rec_;
  sim::OutputRouter router_;  // notes, chain events, bans: to the recorder and sinks
  double scale_;
  int port_base_;
  uv_loop_t loop_;
  uv_timer_t wake_;  // wakes the loop for the next scheduled event
  std::uint64_t start_hr_ = 0;
  sim::BasicScheduler<Ev> sched_;
  std::vector<LiveNode> nodes_;
  sim::HostIndex hosts_;  // the nodes by address: peers learned by peer exchange
  // The node behind `node`'s peer index `peer` (a seed, or an address it learned).
  std::uint32_t peer_to_node(std::uint32_t node, std::uint32_t peer) const;
  std::map<std::uint32_t, std::unique_ptr<Conn>> conns_;  // by serial
  std::map<std::pair<std::uint32_t, int>, std::uint32_t>
      by_local_port_;  // (dialer, port) -> serial
  std::vector<sim::Fault> faults_;
  sim::LinkFaults link_faults_{faults_};
  std::vector<node::Output> outputs_;
  std::uint32_t next_serial_ = 1;
  std::vector<char> read_buf_;
  sim::RunStats stats_;
  std::string first_error_;
  bool finished_ = false;
  bool host_clock_ = false;
  std::vector<NodeAddress> addrs_;  // empty: loopback_ip(i), port_base_
  // The address node_core knows node i by: the scenario's, or addrs_[i].ip in mixed runs.
  const std::string& core_ip(std::uint32_t i) const { return core_ips_[i]; }
  std::vector<std::string> core_ips_;
  bool here(std::uint32_t i) const { return addrs_.empty() || addrs_[i].here; }
  int listen_port_of(std::uint32_t i) const {
    return !addrs_.empty()   ? addrs_[i].port
           : port_base_ == 0 ? 0
                             : port_base_ + static_cast<int>(i);
  }
  SimTime clock_ = -1;
  Duration max_lateness_ns_ = 0, sum_lateness_ns_ = 0;
  std::uint64_t dispatched_ = 0;

 public:
  // How late the host dispatched events, in protocol ns (max, mean).
  Duration max_lateness_ns() const { return max_lateness_ns_; }
  Duration mean_lateness_ns() const {
    return dispatched_ ? sum_lateness_ns_ / static_cast<Duration>(dispatched_) : 0;
  }
};

}  // namespace ts::live
