#include "live/live_world.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "common/assert.h"
#include "common/streams.h"
#include "driver/node_setup.h"
#include "scenario/topology.h"

namespace ts::live {

using node::CloseReason;
using sim::Side;

namespace {
// One pending uv_write: the request and the bytes it writes, freed by on_write (or at
// once when uv_write refuses). One type for both the new and the delete.
struct WriteReq {
  uv_write_t req;
  std::string data;
};
}  // namespace

std::string loopback_ip(std::uint32_t index) {
  return "127.0." + std::to_string(index / 250) + "." + std::to_string(index % 250 + 2);
}

bool is_loopback(const std::string& ip) {
  return ip.rfind("127.", 0) == 0;
}

Result<bool> check_live_scenario(const sim::Scenario& sc) {
  if (sc.nodes.size() > 250 * 250) return Error{"live mode runs at most 62500 nodes"};
  for (const auto& f : sc.faults) {
    if (!f.kind->live) {
      std::vector<std::string> live;
      for (sim::FaultKind k : sim::fault_kinds())
        if (k->live) live.emplace_back(k->name);
      std::string list;
      for (std::size_t i = 0; i < live.size(); ++i)
        list += (i == 0 ? "" : i + 1 == live.size() ? " and " : ", ") + live[i];
      return Error{"live mode supports " + list + " faults; '" +
                   std::string(sim::fault_kind_name(f.kind)) + "' (fault " + std::to_string(f.id) +
                   ") runs only in the simulator"};
    }
  }
  if (sc.chaos.enabled) return Error{"live mode does not run chaos schedules"};
  return true;
}

Result<int> parse_port_base(const std::string& text, std::size_t nodes) {
  const std::string range =
      nodes == 0 ? std::string("no nodes")
      : nodes > 65536 - kMinPortBase
          ? std::string("too many nodes for distinct ports")
          : fmt::format("{}..{} for {} node{}", kMinPortBase, 65536 - static_cast<long>(nodes),
                        nodes, nodes == 1 ? "" : "s");
  long v = -1;
  const bool digits = !text.empty() && text.size() <= 6 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) v = std::stol(text);
  if (v == 0) return 0;
  if (!digits || v < kMinPortBase || v + static_cast<long>(nodes) - 1 > 65535)
    return Error{"--port-base must be 0 (ephemeral) or an integer in " + range + " (got '" +
                 text.substr(0, 40) + "')"};
  return static_cast<int>(v);
}

LiveWorld::LiveWorld(const sim::Scenario& scenario, std::uint64_t seed, sim::Recorder* recorder,
                     double time_scale, int port_base)
    : sc_(scenario),
      seed_(seed),
      link_seed_(mix_seed(seed, stream_id(Stream::kLinks))),
      rec_(recorder),
      router_(recorder, sim::scenario_ips(scenario), scenario.consensus.enabled),
      scale_(time_scale),
      port_base_(port_base) {
  TS_ASSERT(time_scale > 0);
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_timer_init(&loop_, &wake_);
  read_buf_.resize(64 * 1024);
  const auto n = static_cast<std::uint32_t>(sc_.nodes.size());
  router_.on_protocol_error = [this](std::uint32_t node, const std::string& text) {
    if (on_protocol_error) on_protocol_error(node, text);
  };
  nodes_.resize(n);
  core_ips_ = sim::scenario_ips(sc_);
  hosts_ = sim::HostIndex(core_ips_);
  auto peers = sim::build_topology(sc_.topology, n, seed);
  for (std::uint32_t i = 0; i < n; ++i) {
    nodes_[i].peer_node = std::move(peers[i]);
    schedule(sc_.nodes[i].start_ns, Ev::kNodeStart, i);
  }
  faults_ = sc_.faults;
  for (std::uint32_t i = 0; i < faults_.size(); ++i) {
    schedule(faults_[i].start_ns, Ev::kFaultStart, i);
    if (faults_[i].end_ns != kNever && faults_[i].kind->end_event)
      schedule(faults_[i].end_ns, Ev::kFaultEnd, i);
  }
}

Result<bool> LiveWorld::set_addresses(std::vector<NodeAddress> addrs) {
  if (start_hr_ != 0) return Error{"set_addresses: the run has started"};
  if (addrs.size() != sc_.nodes.size())
    return Error{
        fmt::format("set_addresses: {} addresses for {} nodes", addrs.size(), sc_.nodes.size())};
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    // Port 0: an ephemeral port, for a node run here (tests); a node outside needs its port.
    if (!is_loopback(addrs[i].ip) || addrs[i].port < 0 || addrs[i].port > 65535 ||
        (addrs[i].port == 0 && !addrs[i].here))
      return Error{
          fmt::format("set_addresses: node {} at '{}:{}' is not a 127.0.0.0/8 address "
                      "with a port",
                      i, addrs[i].ip, addrs[i].port)};
    for (std::size_t j = 0; j < i; ++j)
      if (addrs[j].ip == addrs[i].ip)
        return Error{fmt::format("set_addresses: nodes {} and {} share {}", j, i, addrs[i].ip)};
  }
  addrs_ = std::move(addrs);
  for (std::size_t i = 0; i < addrs_.size(); ++i)
    core_ips_[i] = addrs_[i].ip;
  router_.set_ips(core_ips_);
  return true;
}

LiveWorld::~LiveWorld() {
  if (!finished_) (void)finish();
  uv_loop_close(&loop_);
}

SimTime LiveWorld::now() const {
  return static_cast<SimTime>(static_cast<double>(uv_hrtime() - start_hr_) / scale_);
}

// Live events run on the engines' shared event queue (driver/event_queue.h), over Ev.
void LiveWorld::schedule(SimTime at, Ev kind, std::uint32_t a, std::uint32_t b, std::uint32_t c) {
  sched_.schedule(std::max(at, sched_.now()), kind, a, b, c);
}

Result<sim::RunStats> LiveWorld::run(Duration duration_ns, const std::atomic<bool>* interrupt) {
  auto r = run_until(duration_ns, interrupt);
  if (!r) return r.error();
  return finish();
}

Result<bool> LiveWorld::run_until(SimTime t_ns, const std::atomic<bool>* interrupt) {
  if (start_hr_ == 0) {
    if (auto ok = check_live_scenario(sc_); !ok) return ok.error();
    if (rec_)
      if (auto ok = sim::record_setup(*rec_, sc_, faults_); !ok) return ok.error();
    for (std::uint32_t i = 0; i < nodes_.size(); ++i)
      if (sc_.nodes[i].start_ns <= 0 && here(i)) listen(i);
    if (!first_error_.empty()) return Error{first_error_};
    start_hr_ = uv_hrtime();
  }
  pump(t_ns, interrupt);
  if (!first_error_.empty()) return Error{first_error_};
  return true;
}

// Alternates libuv I/O and due scheduler events until protocol time `until`. Blocks in
// libuv while the next event is more than ~2 ms of real time away, then spins to meet it
// to the microsecond.
void LiveWorld::pump(SimTime until, const std::atomic<bool>* interrupt) {
  uv_timer_t& wake = wake_;
  while (first_error_.empty()) {
    if (interrupt && interrupt->load(std::memory_order_relaxed)) {
      stats_.interrupted = true;
      break;
    }
    const SimTime t = now();
    Event e;
    while (sched_.next_time() <= std::min(t, until) && first_error_.empty()) {
      sched_.pop(e);
      // The host reaches an event a little after it fell due (real microseconds, times
      // 1/scale in protocol time). Inputs carry the time they were due at; the lateness is
      // measured and reported instead of leaking into every timestamp.
      const Duration late = std::max<Duration>(0, now() - e.at);
      max_lateness_ns_ = std::max(max_lateness_ns_, late);
      sum_lateness_ns_ += late;
      ++dispatched_;
      clock_ = e.at;
      dispatch(e);
      clock_ = -1;
    }
    if (t >= until) break;
    const SimTime next = std::min(sched_.next_time(), until);
    const double real_ms = static_cast<double>(next - t) * scale_ / 1e6;
    if (real_ms > 2.0) {
      // uv_now() is cached: refresh it, and repeat every 1 ms so that a wake-up that falls
      // due before the poll (and fires early) can never leave the poll without a timeout.
      uv_update_time(&loop_);
      uv_timer_start(
          &wake, [](uv_timer_t*) {}, static_cast<std::uint64_t>(real_ms - 1.0), 1);
      uv_run(&loop_, UV_RUN_ONCE);
      uv_timer_stop(&wake);
    } else {
      uv_run(&loop_, UV_RUN_NOWAIT);
    }
  }
}

Result<sim::RunStats> LiveWorld::finish() {
  finished_ = true;
  stats_.end_ns = std::max<SimTime>(0, now());
  stats_.events = sched_.executed();
  stats_.protocol_errors = router_.protocol_errors();
  for (auto& [serial, c] : conns_) {
    c->rec.open_at_end = true;
    if (c->rec.close_reason == CloseReason::kNone) c->rec.close_reason = CloseReason::kEndOfRun;
    if (rec_) record_error(rec_->add_connection(c->rec));
    for (auto* s : c->sock)
      if (s && !s->closing) {
        s->closing = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), on_close);
      }
  }
  conns_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  for (auto& n : nodes_)
    if (n.listening) {
      n.listening = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&n.listener), nullptr);
    }
  uv_run(&loop_, UV_RUN_DEFAULT);  // until every handle is closed
  if (!first_error_.empty()) return Error{first_error_};
  return stats_;
}

// ---- nodes -------------------------------------------------------------------------------

// Binds node n's listening socket (before its process starts, so that nodes starting at the
// same instant do not refuse each other's first dials).
void LiveWorld::listen(std::uint32_t n) {
  LiveNode& ln = nodes_[n];
  if (ln.listening) return;
  const std::string ip = listen_ip(n);
  TS_ASSERT(is_loopback(ip));
  uv_tcp_init(&loop_, &ln.listener);
  ln.listener.data = this;
  sockaddr_in addr{};
  uv_ip4_addr(ip.c_str(), listen_port_of(n), &addr);
  int rc = uv_tcp_bind(&ln.listener, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&ln.listener), 1024, on_new_connection);
  if (rc != 0) {
    first_error_ =
        "cannot listen on " + ip + ":" + std::to_string(listen_port_of(n)) + ": " + uv_strerror(rc);
    return;
  }
  ln.listening = true;
  sockaddr_in bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&ln.listener, reinterpret_cast<sockaddr*>(&bound), &len);
  ln.port = ntohs(bound.sin_port);
  if (on_listen) on_listen(n, ip, ln.port);
}

void LiveWorld::start_node(std::uint32_t n) {
  listen(n);
  if (!first_error_.empty()) return;
  LiveNode& ln = nodes_[n];
  const auto& spec = sc_.nodes[n];
  // Node_core knows the nodes by the scenario addresses (same dial rule, same log lines as
  // the sim), or in mixed runs by the addresses on the wire (the real-node plan keeps the
  // scenario's string order). Live nodes never restart: incarnation 1.
  ln.core = std::make_unique<node::Node>(sim::node_config(sc_, n, ln.peer_node, core_ips_, hosts_),
                                         *spec.profile, sim::node_process_seed(seed_, n, 1));
  if (rec_) (void)rec_->add_node_event(t_now(), n, -1, "start", std::string(spec.profile->name));
  handle(n, node::Start{});
}

void LiveWorld::handle(std::uint32_t node, const node::Input& in) {
  nodes_[node].core->handle(t_now(), in);
  carry_out(node);
}

LiveWorld::Conn* LiveWorld::conn_of(node::ConnId id) {
  auto it = conns_.find(static_cast<std::uint32_t>(id));
  return it == conns_.end() ? nullptr : it->second.get();
}

void LiveWorld::carry_out(std::uint32_t node) {
  outputs_.clear();
  nodes_[node].core->drain(outputs_);
  std::vector<node::Output> outs;
  outs.swap(outputs_);  // handlers below may re-enter handle() (never in practice), keep ours
  for (auto& out : outs) {
    if (auto* send = std::get_if<node::Send>(&out)) {
      Conn* c = conn_of(send->conn);
      if (!c) continue;
      const int side = side_of(*c, node);
      Socket* s = c->sock[side];
      if (!s || s->closing || !c->open[side]) continue;
      const SimTime t_write = t_now();
      c->written[side] += send->bytes.size();
      // Write times stamp what the other side reads; a peer outside this process reads
      // nothing here.
      if (!c->external && here(c->listener))
        c->writes[side].emplace_back(c->written[side], t_write);
      (side == 0 ? c->rec.msgs_d2l : c->rec.msgs_l2d) += 1;
      (side == 0 ? c->rec.bytes_d2l : c->rec.bytes_l2d) += send->bytes.size();
      stats_.bytes += send->bytes.size();
      auto* w = new WriteReq;
      w->data = std::move(send->bytes);
      uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
      w->req.data = w;
      if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&s->tcp), &buf, 1, on_write) != 0)
        delete w;
    } else if (auto* d = std::get_if<node::Dial>(&out)) {
      dial(node, d->peer);
    } else if (auto* cl = std::get_if<node::Close>(&out)) {
      Conn* c = conn_of(cl->conn);
      if (c) close_side(*c, side_of(*c, node), cl->reason, false);
    } else if (auto* t = std::get_if<node::SetTimer>(&out)) {
      if (t->at != kNever)
        schedule(t->at, Ev::kTimer, node, static_cast<std::uint32_t>(t->id.kind), t->id.slot);
    } else if (auto* note = std::get_if<node::Note>(&out)) {
      Conn* c = note->conn ? conn_of(note->conn) : nullptr;
      sim::ConnView at;
      if (c) {
        at.rec = &c->rec;
        at.side = static_cast<Side>(side_of(*c, node));
        at.peer = c->external ? -1 : (c->dialer == node ? c->listener : c->dialer);
      } else if (const auto peer = sim::OutputRouter::peer_index(*note)) {
        at.peer = peer_to_node(node, *peer);
      }
      record_error(router_.note(node, t_now(), *note, at));
    } else if (auto* ev = std::get_if<node::ChainEvent>(&out)) {
      record_error(router_.chain(node, t_now(), *ev));
    } else if (auto* ban = std::get_if<node::Ban>(&out)) {
      Conn* c = conn_of(ban->conn);
      record_error(router_.ban(node, t_now(), *ban, c ? &c->rec : nullptr,
                               c && !c->external ? std::int64_t{c->dialer} : -1));
    }
  }
}

// ---- connections -------------------------------------------------------------------------

Duration LiveWorld::sample(Conn& c, int dir) {
  const std::uint32_t src = dir == 0 ? c.dialer : c.listener,
                      dst = dir == 0 ? c.listener : c.dialer;
  return link_faults_.latency(src, dst, &sc_.latency(src, dst))->sample(c.rng[dir]);
}

void LiveWorld::enqueue(Conn& c, int dir, Item item, SimTime sent_at) {
  const SimTime t = std::max({sent_at + sample(c, dir), c.last_at[dir], sched_.now()});
  c.last_at[dir] = t;
  item.at = t;
  c.inbound[dir].push_back(std::move(item));
  schedule(t, Ev::kItem, c.serial, static_cast<std::uint32_t>(dir));
}

std::uint32_t LiveWorld::peer_to_node(std::uint32_t node, std::uint32_t peer) const {
  const LiveNode& ln = nodes_[node];
  if (peer < ln.peer_node.size()) return ln.peer_node[peer];
  const std::uint32_t n = hosts_.node_of(ln.core->config().peers[peer].ip);
  TS_ASSERT(n != sim::HostIndex::kNone);  // NodeConfig::dialable_ips: only run hosts
  return n;
}

void LiveWorld::dial(std::uint32_t node, std::uint32_t peer) {
  auto conn = std::make_unique<Conn>();
  Conn& c = *conn;
  c.serial = next_serial_++;
  c.dialer = node;
  c.dialer_peer = peer;
  c.listener = peer_to_node(node, peer);
  c.rng[0] = Prng::derive(link_seed_, std::uint64_t{c.serial} * 2);
  c.rng[1] = Prng::derive(link_seed_, std::uint64_t{c.serial} * 2 + 1);
  c.rec.conn_id = c.serial;
  c.rec.dialer = node;
  c.rec.listener = c.listener;
  c.rec.dialer_version = sc_.nodes[node].profile->name;
  c.rec.listener_version = sc_.nodes[c.listener].profile->name;
  c.rec.t_dial = t_now();
  // SYN and SYN-ACK delays, drawn in the same per-direction order as the simulator's.
  c.connect_at = c.rec.t_dial + sample(c, 0) + sample(c, 1);
  ++stats_.connections;
  auto* s = new Socket;
  s->world = this;
  s->serial = c.serial;
  s->side = 0;
  s->node = node;
  uv_tcp_init(&loop_, &s->tcp);
  s->tcp.data = s;
  c.sock[0] = s;
  // Bind to the dialer's own loopback address so the listener can tell who dials.
  const std::string from = listen_ip(node), to = listen_ip(c.listener);
  TS_ASSERT(is_loopback(from) && is_loopback(to));
  sockaddr_in local{}, remote{};
  uv_ip4_addr(from.c_str(), 0, &local);
  uv_tcp_bind(&s->tcp, reinterpret_cast<const sockaddr*>(&local), 0);
  sockaddr_in bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&s->tcp, reinterpret_cast<sockaddr*>(&bound), &len);
  c.dialer_port = ntohs(bound.sin_port);
  by_local_port_[{node, c.dialer_port}] = c.serial;
  // A node outside this process (mixed runs) listens at its address; on its own side the
  // connection is done from the start (its bytes arrive only on the dialer's socket).
  if (!here(c.listener)) c.done[1] = true;
  const int port = !here(c.listener)              ? listen_port_of(c.listener)
                   : nodes_[c.listener].listening ? nodes_[c.listener].port
                                                  : 1;  // 1: nothing listens
  uv_ip4_addr(to.c_str(), port, &remote);
  auto* req = new uv_connect_t;
  req->data = s;
  const std::uint32_t serial = c.serial;
  conns_[serial] = std::move(conn);
  // The profile's application connect timeout, if it has one; without one (the incident
  // commits) the host's kernel decides, as upstream's bare TcpStream::connect.
  if (const Duration t = sc_.nodes[node].profile->timers.connect_timeout_ns; t != kNever)
    schedule(add_sat(c.rec.t_dial, t), Ev::kConnectTimeout, serial);
  if (uv_tcp_connect(req, &s->tcp, reinterpret_cast<const sockaddr*>(&remote), on_connect) != 0) {
    delete req;
    schedule(now(), Ev::kDialResolved, serial, 1);
  }
}

void LiveWorld::on_connect(uv_connect_t* req, int status) {
  auto* s = static_cast<Socket*>(req->data);
  delete req;
  if (status == UV_ECANCELED) return;
  LiveWorld* w = s->world;
  auto it = w->conns_.find(s->serial);
  if (it == w->conns_.end() || !it->second->connecting) return;
  Conn& c = *it->second;
  // The emulated handshake: the dialer learns of the outcome one sampled RTT after the dial.
  // Due at the emulated connect time even if the host got here later (see pump()).
  w->schedule(c.connect_at, Ev::kDialResolved, c.serial, status == 0 ? 0u : 1u);
  if (status == 0) uv_read_start(reinterpret_cast<uv_stream_t*>(&s->tcp), on_alloc, on_read);
}

void LiveWorld::on_new_connection(uv_stream_t* server, int status) {
  auto* w = static_cast<LiveWorld*>(server->data);
  if (status < 0) return;
  auto* s = new Socket;
  s->world = w;
  s->side = 1;
  uv_tcp_init(&w->loop_, &s->tcp);
  s->tcp.data = s;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&s->tcp)) != 0) {
    s->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), on_close);
    return;
  }
  // Which node listens here, and who dialled (by source address and port)?
  sockaddr_in local{}, peer{};
  int len = sizeof local;
  uv_tcp_getsockname(&s->tcp, reinterpret_cast<sockaddr*>(&local), &len);
  len = sizeof peer;
  uv_tcp_getpeername(&s->tcp, reinterpret_cast<sockaddr*>(&peer), &len);
  char ip[32], local_ip[32];
  uv_ip4_name(&peer, ip, sizeof ip);
  uv_ip4_name(&local, local_ip, sizeof local_ip);
  std::uint32_t dialer = UINT32_MAX, listener = UINT32_MAX;
  for (std::uint32_t i = 0; i < w->nodes_.size(); ++i) {
    if (w->listen_ip(i) == ip) dialer = i;
    if (w->nodes_[i].listening && w->nodes_[i].port == ntohs(local.sin_port) &&
        w->listen_ip(i) == local_ip)
      listener = i;
  }
  s->node = listener;
  auto it = dialer == UINT32_MAX ? w->by_local_port_.end()
                                 : w->by_local_port_.find({dialer, ntohs(peer.sin_port)});
  if (listener == UINT32_MAX || it == w->by_local_port_.end()) {
    // A peer from outside the scenario (a test's raw socket): give it a connection of its
    // own, accepted at once, with the real remote address.
    if (listener == UINT32_MAX) {
      s->closing = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), on_close);
      return;
    }
    auto conn = std::make_unique<Conn>();
    Conn& c = *conn;
    c.serial = w->next_serial_++;
    // A real node of a mixed run (outside this process) is recorded as the dialer; any other
    // outside peer has no dialer node: the record names the listener on both sides.
    const bool real_peer = dialer != UINT32_MAX && !w->here(dialer);
    c.dialer = real_peer ? dialer : listener;
    c.listener = listener;
    c.external = true;
    c.connecting = false;
    c.done[0] = true;
    c.sock[1] = s;
    c.rec.conn_id = c.serial;
    c.rec.dialer = c.dialer;
    c.rec.listener = listener;
    c.rec.dialer_version = real_peer ? w->sc_.nodes[dialer].profile->name : "external";
    c.rec.listener_version = w->sc_.nodes[listener].profile->name;
    c.rec.t_dial = w->now();
    s->serial = c.serial;
    w->conns_[c.serial] = std::move(conn);
    w->conns_[s->serial]->open[1] = true;
    w->conns_[s->serial]->rec.t_accept = w->now();
    node::Connected in;
    in.conn = id_of(s->serial);
    in.dir = node::Direction::kInbound;
    in.remote_ip = ip;
    in.remote_port = ntohs(peer.sin_port);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&s->tcp), on_alloc, on_read);
    w->handle(listener, in);
    return;
  }
  auto cit = w->conns_.find(it->second);
  w->by_local_port_.erase(it);
  if (cit == w->conns_.end()) {
    s->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), on_close);
    return;
  }
  Conn& c = *cit->second;
  s->serial = c.serial;
  c.sock[1] = s;
  // The listener accepts when the handshake's final ACK arrives: one one-way delay after
  // the dialer's emulated connect (dial + sampled RTT).
  Item accept;
  accept.kind = Item::kAccept;
  accept.at = std::max(c.connect_at + w->sample(c, 0), c.last_at[0]);
  c.last_at[0] = accept.at;
  const SimTime at = accept.at;
  c.inbound[0].push_back(std::move(accept));
  w->schedule(at, Ev::kItem, c.serial, 0);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&s->tcp), on_alloc, on_read);
}

void LiveWorld::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  auto* s = static_cast<Socket*>(h->data);
  auto& rb = s->world->read_buf_;
  *buf = uv_buf_init(rb.data(), static_cast<unsigned>(rb.size()));
}

void LiveWorld::on_read(uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
  auto* s = static_cast<Socket*>(st->data);
  s->world->read_bytes(*s, n, buf);
}

void LiveWorld::read_bytes(Socket& s, ssize_t n, const uv_buf_t* buf) {
  if (n == 0) return;
  auto it = conns_.find(s.serial);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  const int dir = 1 - s.side;  // bytes read by the listener travelled dialer -> listener
  Item item;
  SimTime sent_at = t_now();
  if (n > 0) {
    item.bytes.assign(buf->base, static_cast<std::size_t>(n));
    // stamp with the latest write these bytes came from
    c.read[dir] += static_cast<std::uint64_t>(n);
    auto& w = c.writes[dir];
    SimTime t = kNever;
    while (!w.empty() && w.front().first <= c.read[dir]) {
      t = w.front().second;
      w.pop_front();
    }
    if (t == kNever && !w.empty()) t = w.front().second;  // part of a write still arriving
    if (t != kNever) sent_at = t;
  } else {
    item.kind = n == UV_EOF ? Item::kFin : Item::kReset;
    if (n == UV_EOF && c.fin_at[dir] != kNever) sent_at = c.fin_at[dir];
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&s.tcp));
  }
  if (c.external) {  // an external peer: no emulated WAN, hand over at once
    item.at = now();
    c.inbound[dir].push_back(std::move(item));
    schedule(now(), Ev::kItem, c.serial, static_cast<std::uint32_t>(dir));
    return;
  }
  enqueue(c, dir, std::move(item), sent_at);
}

void LiveWorld::on_write(uv_write_t* req, int) {
  delete static_cast<WriteReq*>(req->data);
}

void LiveWorld::on_close(uv_handle_t* h) {
  delete static_cast<Socket*>(h->data);
}

// The node on `side` closes (or its connection was reset): close the socket, which sends
// FIN (or RST), and record the end.
void LiveWorld::close_side(Conn& c, int side, CloseReason reason, bool reset) {
  if (c.done[side]) return;
  c.done[side] = true;
  c.open[side] = false;
  const SimTime t = t_now();
  if (c.rec.t_close == kNever) {
    c.rec.t_close = t;
    c.rec.close_reason = reason;
    c.rec.closed_by = reset ? Side::kNone : static_cast<Side>(side);
  }
  (side == 0 ? c.rec.t_closed_dialer : c.rec.t_closed_listener) = t;
  c.fin_at[side] = t;
  if (Socket* s = c.sock[side]; s && !s->closing) {
    s->closing = true;
    if (reset)
      uv_tcp_close_reset(&s->tcp, on_close);
    else
      uv_close(reinterpret_cast<uv_handle_t*>(&s->tcp), on_close);
  }
  c.sock[side] = nullptr;
  maybe_finish(c);
}

void LiveWorld::maybe_finish(Conn& c) {
  if (!(c.done[0] && c.done[1])) return;
  if (rec_) record_error(rec_->add_connection(c.rec));
  conns_.erase(c.serial);
}

// ---- events ------------------------------------------------------------------------------

void LiveWorld::dispatch(const Event& e) {
  switch (e.kind) {
    case Ev::kNodeStart:
      if (here(e.a)) start_node(e.a);
      return;
    case Ev::kTimer:
      if (nodes_[e.a].core)
        handle(e.a, node::TimerFired{node::TimerId{static_cast<node::TimerKind>(e.b), e.c}});
      return;
    case Ev::kFaultStart:
    case Ev::kFaultEnd:
      fault_event(e);
      return;
    case Ev::kDialResolved:
    case Ev::kConnectTimeout:
    case Ev::kItem:
      break;
  }
  auto it = conns_.find(e.a);
  if (it == conns_.end()) return;
  if (e.kind == Ev::kItem)
    hand_over(*it->second, e);
  else
    dial_resolved(*it->second, e);
}

void LiveWorld::dial_resolved(Conn& c, const Event& e) {
  if (!c.connecting) return;
  c.connecting = false;
  const bool ok = e.kind == Ev::kDialResolved && e.b == 0;
  if (ok) {
    if (SimTime heal = blocked_until(c.listener, c.dialer)) {  // SYN-ACK stalled
      c.connecting = true;
      if (heal != kNever) schedule(heal + sample(c, 1), Ev::kDialResolved, c.serial, 0);
      return;
    }
    c.open[0] = true;
    c.rec.t_connect = t_now();
    node::Connected in;
    in.conn = id_of(c.serial);
    in.dir = node::Direction::kOutbound;
    in.peer = c.dialer_peer;
    handle(c.dialer, in);
    return;
  }
  const auto reason =
      e.kind == Ev::kConnectTimeout ? CloseReason::kConnectTimeout : CloseReason::kConnectRefused;
  const std::uint32_t d = c.dialer, peer = c.dialer_peer;
  c.done[1] = true;
  // A failed dial is closed by nobody; set before close_side, which may finish (and
  // erase) the connection.
  c.rec.t_close = t_now();
  c.rec.close_reason = reason;
  c.rec.closed_by = Side::kNone;
  close_side(c, 0, reason, false);
  handle(d, node::DialFailed{peer, reason});
}

void LiveWorld::hand_over(Conn& c, const Event& e) {
  const int dir = static_cast<int>(e.b), receiver = 1 - dir;
  auto& q = c.inbound[dir];
  if (q.empty()) return;
  const std::uint32_t src = dir == 0 ? c.dialer : c.listener,
                      dst = dir == 0 ? c.listener : c.dialer;
  if (SimTime heal = blocked_until(src, dst); heal && !c.external) {
    // stalled by a partition: the whole direction waits for the heal
    if (heal == kNever) return;
    const SimTime t = heal + sample(c, dir);
    for (auto& item : q)
      item.at = std::max(item.at, t);
    c.last_at[dir] = std::max(c.last_at[dir], t);
    schedule(t, Ev::kItem, c.serial, e.b);
    return;
  }
  if (q.front().at > sched_.now()) return;  // an earlier wake-up for a moved item
  Item item = std::move(q.front());
  q.pop_front();
  const std::uint32_t node = receiver == 0 ? c.dialer : c.listener;
  const node::ConnId id = id_of(c.serial);
  switch (item.kind) {
    case Item::kAccept: {
      if (c.open[1] || c.done[1]) return;
      c.open[1] = true;
      c.rec.t_accept = t_now();
      node::Connected in;
      in.conn = id;
      in.dir = node::Direction::kInbound;
      in.remote_ip = core_ip(c.dialer);
      in.remote_port = c.dialer_port;
      handle(node, in);
      return;
    }
    case Item::kData:
      if (c.open[receiver]) handle(node, node::BytesIn{id, item.bytes});
      return;
    case Item::kFin:
    case Item::kReset: {
      const bool was_open = c.open[receiver];
      const auto reason = item.kind == Item::kFin ? CloseReason::kPeerClosed : CloseReason::kReset;
      close_side(c, receiver, reason, false);
      if (was_open) handle(node, node::Closed{id, reason});
      return;
    }
  }
}

}  // namespace ts::live
