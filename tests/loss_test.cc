// Loss faults up to 100%: TCP retransmission with Linux's constants (RTO from 200 ms,
// doubling per retransmission of a segment, capped at 120 s; the kernel gives up after 15
// retransmissions). Expected times come from those constants and the protocol timers,
// never from a previous run.
//
// six_nodes_postfix.yaml, by index: 0 50.28.104.50, 1 64.91.241.10, 2 165.84.215.117,
// 5 69.167.168.176; links 0->5, 1->5 and 2->5 (the dialer's IP sorts first).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include "node_core/version_profile.h"
#include "sim/retransmit.h"
#include "sim/wire_observer.h"
#include "test_util.h"

using namespace ts;

namespace {

// From the first send of a segment to the kernel giving up: 16 timeouts (the original
// transmission and 15 retransmissions), 200 ms doubling, capped at 120 s.
Duration give_up_after() {
  Duration total = 0, rto = millis(200);
  for (int k = 0; k <= 15; ++k) {
    total += rto;
    rto = std::min(2 * rto, seconds(120));
  }
  return total;
}

constexpr const char* kLossFaults = R"(faults:
  - {kind: loss, at: 5m, between: [50.28.104.50, 69.167.168.176], loss: 95%}
  - {kind: loss, at: 5m, between: [64.91.241.10, 69.167.168.176], loss: 99%}
  - {kind: loss, at: 5m, between: [165.84.215.117, 69.167.168.176], loss: 99.9%}
)";

sim::Scenario postfix_with(const std::string& yaml) {
  return test::load_with("topologies/six_nodes_postfix.yaml", yaml);
}

// Every segment's send time, per (connection serial, sending side).
struct SendTimes : sim::WireObserver {
  std::map<std::pair<std::uint32_t, int>, std::set<SimTime>> at;
  void on_syn(SimTime, std::uint32_t, std::uint32_t, std::uint32_t, std::uint16_t) override {}
  void on_syn_reply(SimTime, std::uint32_t, bool) override {}
  void on_segment(SimTime t, std::uint32_t serial, int dir, std::string_view, bool, bool) override {
    at[{serial, dir}].insert(t);
  }
  void on_rst(SimTime, std::uint32_t, int) override {}
};

test::Run run_observed(const sim::Scenario& sc, Duration d, sim::WireObserver* obs) {
  test::Run r;
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  r.rec = std::move(*rec);
  sim::RunInfo info;
  info.scenario_name = sc.name;
  info.seed = 1;
  info.duration_ns = d;
  REQUIRE(r.rec->begin_run(info).ok());
  sim::World w(sc, 1, r.rec.get());
  w.set_wire_observer(obs);
  auto stats = w.run(d);
  REQUIRE_MESSAGE(stats.ok(), (stats.ok() ? "" : stats.error().message));
  r.stats = *stats;
  return r;
}

}  // namespace

TEST_CASE("loss: the give-up time follows from 200 ms, the 120 s cap and 15 retransmissions") {
  CHECK(give_up_after() == millis(924'600));  // 204.6 s doubling, then 6 x 120 s
  // The model (sim/retransmit.h) under total loss: every transmission lost, so it gives up
  // after exactly the 15 retransmissions and the time the constants above imply.
  Prng rng(7);
  sim::Retransmits r;
  sim::draw_losses(rng, Ratio{1, 1}, r);
  CHECK(r.gave_up);
  CHECK(r.count == 15);
  CHECK(r.waited_ns == give_up_after());
  // A segment that gets through on its k-th try waited the first k timeouts: with loss 0
  // nothing is drawn and nothing waited.
  sim::Retransmits none;
  sim::draw_losses(rng, Ratio{0, 1}, none);
  CHECK_FALSE(none.gave_up);
  CHECK(none.count == 0);
  CHECK(none.waited_ns == 0);
}

TEST_CASE("loss: 95%, 99% and 99.9% loss faults run to completion at the protocol's timers") {
  // Before the RTO cap, the timeout doubled without bound and overflowed virtual time
  // (scheduler.h: assertion `at >= now_`).
  auto r = test::run(postfix_with(kLossFaults), 1, kHour);
  CHECK(r.stats.end_ns == kHour);
  // the dialers still find out by their pong timeout, well before any retransmission
  // timeout; the other 12 links never notice
  for (int dialer : {0, 1, 2}) {
    CAPTURE(dialer);
    CHECK(r.scalar("SELECT close_reason = 'pong_timeout' FROM connections WHERE dialer = " +
                   std::to_string(dialer) + " AND listener = 5 ORDER BY conn_id LIMIT 1") == 1);
  }
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE NOT (listener = 5 AND dialer < 3) AND "
                 "open_at_end = 1 AND t_close_ns IS NULL") == 12);
}

TEST_CASE("loss: without a pong timeout, the kernel gives up a segment 924.6 s after sending it") {
  // post-fix with a pong timeout that never fires: only TCP can end the connections. No
  // consensus, so a listener writes nothing but pongs.
  static node::VersionProfile patient = *node::find_profile("post-fix");
  patient.timers.max_missed_pongs = 1'000'000'000;
  auto sc = postfix_with(kLossFaults);
  sc.consensus.enabled = false;
  for (auto& n : sc.nodes)
    n.profile = &patient;
  // The loader refuses 100% loss; the model takes it: on 2 -> 5 every transmission is lost.
  sc.faults[2].loss = Ratio{1, 1};
  SendTimes sends;
  auto r = run_observed(sc, kHour, &sends);
  const Duration T = give_up_after();
  const SimTime fault_start = 5 * kMinute;
  // 100% loss (2 -> 5): the dialer's first ping tick at or after the fault start is the
  // first segment sent into it; nothing of it ever arrives, so the kernel gives up exactly T
  // later. The listener, which writes only pongs, never sends into the loss.
  {
    const auto row = r.rows(
        "SELECT t_connect_ns, t_close_ns, close_reason, closed_by, fault_id, t_closed_listener_ns "
        "FROM connections WHERE dialer = 2 AND listener = 5 ORDER BY conn_id LIMIT 1");
    REQUIRE(row.size() == 1);
    const SimTime tc = std::stoll(row[0][0]);
    const Duration iv = patient.timers.ping_interval_ns;
    const SimTime tick = tc + (fault_start - tc + iv - 1) / iv * iv;
    CHECK(std::stoll(row[0][1]) == tick + T);
    CHECK(row[0][2] == "retransmit_timeout");
    CHECK(row[0][3] == "dialer");
    CHECK(row[0][4] == "3");
    CHECK(row[0][5] == "NULL");  // no packet tells the listener
  }
  // 95% (0 -> 5) and 99% (1 -> 5): some segment was lost 16 times in a row. The connection
  // ends T after the closing side sent a segment into the loss, charged to that fault.
  for (auto [dialer, fault] : {std::pair{0, 1}, std::pair{1, 2}}) {
    CAPTURE(dialer);
    const auto rows =
        r.rows("SELECT conn_id, t_close_ns, closed_by, fault_id FROM connections WHERE dialer = " +
               std::to_string(dialer) +
               " AND listener = 5 AND close_reason = 'retransmit_timeout' ORDER BY conn_id");
    REQUIRE(!rows.empty());
    for (const auto& row : rows) {
      CAPTURE(row[0]);
      const auto serial = static_cast<std::uint32_t>(std::stoul(row[0]));
      const int side = row[2] == "dialer" ? 0 : 1;
      const SimTime sent = std::stoll(row[1]) - T;
      CHECK(sent >= fault_start);
      CHECK(sends.at[{serial, side}].count(sent) == 1);
      CHECK(row[3] == std::to_string(fault));
    }
  }
  // no other link lost anything
  CHECK(r.scalar("SELECT count(*) FROM connections WHERE close_reason = 'retransmit_timeout' AND "
                 "NOT (listener = 5 AND dialer < 3)") == 0);
}
