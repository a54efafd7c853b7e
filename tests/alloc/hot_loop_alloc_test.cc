// The hot loop allocates nothing per event (STYLE.md): heap allocations counted by this
// binary's own operator new, over a steady state, after a warm-up that lets every pool and
// buffer reach its working size. A separate binary from unit_tests, so that the counter
// sees only what the test drives (nothing else runs on another thread here).
#include <doctest/doctest.h>

#include <cstdint>

#include "node_core/codec.h"
#include "node_core/node.h"
#include "scenario/scenario.h"
#include "sim/scheduler.h"
#include "sim/world.h"
#include "tests/alloc/counting_new.h"

namespace ts {
namespace {

using test::allocations;

// Pops one event and schedules its successor 1 to 60 s after it (deterministic jitter):
// `pending` events cycle through the ring's buckets, ~pending / 30 s of them per second.
struct Churn {
  sim::Scheduler s;
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  static constexpr Duration kDelay = seconds(1);

  std::int64_t jitter() {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::int64_t>((x >> 20) % 59'000'000'000ull);
  }
  void fill(std::uint32_t pending) {
    for (std::uint32_t i = 0; i < pending; ++i)
      s.schedule(kDelay + jitter(), sim::EventKind::kTimer, i);
  }
  void step(std::uint64_t n) {
    sim::Scheduler::Event e{};
    for (std::uint64_t i = 0; i < n; ++i) {
      REQUIRE(s.pop(e));
      s.schedule(e.at + kDelay + jitter(), sim::EventKind::kTimer, e.a);
    }
  }
};

TEST_CASE("scheduler: refilling the ring's buckets reuses drained buffers, no allocation") {
  // 300,000 pending, ~165 per 16.8 ms epoch: every bucket drains ~10 chunks and refills
  // from empty once per turn of the ring.
  constexpr std::uint32_t kPending = 300'000;
  Churn c;
  c.fill(kPending);
  // Warm: 1.2 M pops at ~9,800 a simulated second is ~122 s, about two 68.7 s turns of the
  // ring, so every bucket has drained and refilled at least once.
  c.step(4 * kPending);
  const std::uint64_t before = allocations();
  c.step(2 * kPending);
  CHECK(allocations() - before == 0);
  CHECK(c.s.pending() == kPending);
}

constexpr const char* kSteadyNetwork = R"(name: steady
seed: 1
duration: 10m
epoch: 1766106000
generate:
  count: 40
  versions: {post-fix: 100%}
  start_spread: 10s
topology: {kind: random-k-out, k: 4}
latency:
  default: {model: normal, mean: 50ms, stddev: 10ms, min: 5ms}
)";

struct Measured {
  std::uint64_t events = 0, allocations = 0;
};

Measured run_for(const sim::Scenario& sc, Duration d) {
  const std::uint64_t before = allocations();
  sim::World w(sc, 1, nullptr);
  auto stats = w.run(d);
  REQUIRE_MESSAGE(stats.ok(), (stats.ok() ? "" : stats.error().message));
  return {stats->events, allocations() - before};
}

TEST_CASE("world: a settled post-fix network's ping rounds allocate nothing") {
  auto sc = sim::parse_scenario(kSteadyNetwork, "steady.yaml");
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  // The same run to 10 and to 30 minutes: the difference is 20 settled minutes (every link
  // up, pinging every 30 s), and what they allocated.
  const Measured warm = run_for(*sc, 10 * kMinute);
  const Measured longer = run_for(*sc, 30 * kMinute);
  const std::uint64_t events = longer.events - warm.events;
  const std::uint64_t allocs = longer.allocations - warm.allocations;
  // 40 nodes x 4 links x 2 pings a minute x 20 min: the 20 minutes hold ~6,400 ping rounds
  // of several events each.
  REQUIRE(events > 10'000);
  MESSAGE(allocs << " allocations in " << events << " settled events");
  CHECK(allocs == 0);
}

// b5513be's debug line for a message the dialer drops (and, through the same Node::remote,
// every protocol error's text): built in one buffer, so one allocation per line, where it took
// two (k8_postfix_10000 × 10 min logs 159,940 of these lines).
TEST_CASE("node: a dropped message's debug line is one allocation (logging-fix, b5513be)") {
  node::NodeConfig cfg;
  cfg.ip = "1.1.1.1";
  cfg.clock_epoch_unix_s = 1766106000;
  cfg.peers.push_back(node::PeerAddr{"203.113.255.254"});  // the longest dotted quad's worth
  node::Node n(std::move(cfg), *node::find_profile("logging-fix"), 1);
  std::vector<node::Output> out;
  out.reserve(64);
  n.set_output_sink(&out);
  n.handle(0, node::Start{});
  n.handle(1, node::Connected{1, node::Direction::kOutbound, 0, {}, 0});
  const std::string get_peers = node::encode(node::GetPeers{});  // with its '\n'
  for (SimTime t = 2; t < 4; ++t) {  // the first drop warms whatever the node keeps
    out.clear();
    const std::uint64_t before = allocations();
    n.handle(t, node::BytesIn{1, get_peers});
    const std::uint64_t allocs = allocations() - before;
    std::vector<std::string> lines;
    for (const auto& o : out)
      if (const auto* note = std::get_if<node::Note>(&o))
        if (note->kind == node::NoteKind::kMessageDropped) lines.push_back(note->text);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "Received message from 203.113.255.254:24100 (type: Other)");
    if (t == 3) CHECK(allocs == 1);
  }
}

}  // namespace
}  // namespace ts
