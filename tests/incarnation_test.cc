// A node restarted more often than an 8-bit incarnation counts (256): no timer set by an
// earlier process reaches a later one, and no process replays an earlier one's random
// stream (ping nonces). Designed to fail with an incarnation that wraps at 256.
//
// six_nodes_postfix.yaml (consensus on): node 0 (50.28.104.50) dials nodes 1 and 5; the
// crash loop below gives it 301 processes, each up for 1 s.
#include <doctest/doctest.h>

#include <fstream>
#include <set>

#include "node_core/codec.h"
#include "sim/wire_observer.h"
#include "test_util.h"

using namespace ts;

namespace {

constexpr int kRestarts = 300;

sim::Scenario crash_loop() {
  std::ifstream in(test::source_path("topologies/six_nodes_postfix.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text += "faults:\n";
  // Down at 60.5 s + 2k s, up again 1 s later. The 600 s block slot that processes 15..
  // arm fires in process 271 (15 + 256), off any crash or restart time.
  for (int k = 0; k < kRestarts; ++k)
    text += "  - {kind: crash, at: " + std::to_string(60'500 + 2'000 * k) +
            "ms, node: 50.28.104.50, restart_after: 1s}\n";
  auto sc = sim::parse_scenario(text, "six_nodes_postfix.yaml");
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

// The nonce of every Ping node 0 writes.
struct PingNonces : sim::WireObserver {
  std::set<std::uint32_t> from_node0;  // connection serials node 0 dialled
  std::vector<std::uint64_t> nonces;
  void on_syn(SimTime, std::uint32_t serial, std::uint32_t dialer, std::uint32_t,
              std::uint16_t) override {
    if (dialer == 0) from_node0.insert(serial);
  }
  void on_syn_reply(SimTime, std::uint32_t, bool) override {}
  void on_segment(SimTime, std::uint32_t serial, int dir, std::string_view bytes, bool,
                  bool) override {
    if (dir != 0 || !from_node0.count(serial)) return;
    for (std::size_t at = 0; at < bytes.size();) {
      const std::size_t nl = bytes.find('\n', at);
      if (nl == std::string_view::npos) break;
      auto m = node::decode_line(bytes.substr(at, nl - at));
      if (m.ok())
        if (const auto* ping = std::get_if<node::Ping>(&*m)) nonces.push_back(ping->nonce);
      at = nl + 1;
    }
  }
  void on_rst(SimTime, std::uint32_t, int) override {}
};

}  // namespace

TEST_CASE("incarnation: 300 restarts - no stale timer reaches a later process, no nonce repeats") {
  const auto sc = crash_loop();
  sim::World w(sc, 1, nullptr);
  std::vector<sim::World::TracedEvent> trace;
  w.set_trace(&trace);
  PingNonces pings;
  w.set_wire_observer(&pings);
  REQUIRE(w.run(20 * kMinute).ok());

  // From the trace alone: a timer event is stale when its node was down at dispatch, or
  // when it was scheduled before the node's current process started. A crash schedules the
  // restart, after every timer of the dying process and before any of the next one's, so
  // "before" is: a seq below the restart event's.
  std::vector<bool> up(sc.nodes.size(), false);
  std::vector<std::uint64_t> start_seq(sc.nodes.size(), 0);
  std::uint64_t stale = 0, restarts = 0, fresh = 0;
  for (const auto& t : trace) {
    const sim::Event& e = t.event;
    if (e.kind == sim::EventKind::kNodeStart) up[e.a] = true;
    if (e.kind == sim::EventKind::kRestart && !up[e.a]) {
      up[e.a] = true;
      start_seq[e.a] = e.seq;
      ++restarts;
    }
    if (e.kind == sim::EventKind::kFaultStart && sc.faults[e.a].kind->name == "crash")
      for (auto n : sc.faults[e.a].nodes)
        up[n] = false;
    if (e.kind == sim::EventKind::kTimer) {
      const bool old = !up[e.a] || e.seq < start_seq[e.a];
      stale += old;
      fresh += !old && e.a == 0;
    }
  }
  CHECK(restarts == kRestarts);
  REQUIRE(stale > 1000);  // old processes leave ping ticks, checks, passes and slots behind
  CHECK(fresh > 0);
  CHECK(w.stale_timers_dropped() == stale);  // every stale one dropped, nothing else

  // Each process draws its own stream: 301 processes, every ping nonce different.
  REQUIRE(pings.nonces.size() > 2 * kRestarts);
  CHECK(std::set<std::uint64_t>(pings.nonces.begin(), pings.nonces.end()).size() ==
        pings.nonces.size());
}
