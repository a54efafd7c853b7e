// The link summary reads a run's connection rows in the table's order (close order) and
// puts each link's connections in dial order itself: what it computes must follow the
// connections' dial order, never the order their rows were written, nor which of the two
// ways (scan or index) it reads a run by.
#include <doctest/doctest.h>

#include <memory>

#include "analysis/summary.h"
#include "store/recorder.h"
#include "test_util.h"

namespace ts {
namespace {

constexpr Duration kRun = 10 * kSecond;

// One connection on `dialer` -> `listener`, connected 10 ms after its dial; `closed` kNever:
// open at the end of the run.
sim::ConnRecord conn(std::uint64_t id, std::uint32_t dialer, std::uint32_t listener,
                     std::string_view dialer_version, SimTime t_dial, SimTime closed) {
  sim::ConnRecord r;
  r.conn_id = id;
  r.dialer = dialer;
  r.listener = listener;
  r.dialer_version = dialer_version;
  r.listener_version = "post-fix";
  r.t_dial = t_dial;
  r.t_connect = t_dial + 10 * kMillisecond;
  r.t_close = r.t_closed_dialer = r.t_closed_listener = closed;
  r.open_at_end = closed == kNever;
  r.close_reason = r.open_at_end ? node::CloseReason::kEndOfRun : node::CloseReason::kPeerClosed;
  r.closed_by = r.open_at_end ? sim::Side::kNone : sim::Side::kListener;
  r.protocol_errors = 1;
  return r;
}

// Connection `id` on `dialer` -> `listener`, dialed at `id` s and closed 100 ms later.
sim::ConnRecord short_conn(std::uint64_t id, std::uint32_t dialer, std::uint32_t listener,
                           std::string_view dialer_version) {
  const SimTime t_dial = static_cast<SimTime>(id) * kSecond;
  return conn(id, dialer, listener, dialer_version, t_dial, t_dial + 100 * kMillisecond);
}

// Link a -> b's three connections, written in close order: #2 (dialed second) closes
// before #1, which outlives #2's dial; #3 is still open at the end. #1, the first dialed,
// is the only one whose dialer ran pre-fix. Their conn_ids are 1, 2, 3 times `id_step`.
void add_link_ab(sim::Recorder& rec, std::uint64_t id_step = 1) {
  REQUIRE(rec.add_connection(conn(2 * id_step, 0, 1, "post-fix", 3 * kSecond, 3500 * kMillisecond))
              .ok());
  REQUIRE(rec.add_connection(conn(id_step, 0, 1, "pre-fix", 0, 4 * kSecond)).ok());
  REQUIRE(rec.add_connection(conn(3 * id_step, 0, 1, "post-fix", 6 * kSecond, kNever)).ok());
}

void begin(sim::Recorder& rec) {
  sim::RunInfo info;
  info.duration_ns = kRun;
  REQUIRE(rec.begin_run(info).ok());
  REQUIRE(rec.add_node(0, "a", "10.0.0.1", "pre-fix", "ea701a4", 0, "").ok());
  REQUIRE(rec.add_node(1, "b", "10.0.0.2", "post-fix", "31ad283", 0, "").ok());
  REQUIRE(rec.add_node(2, "c", "10.0.0.3", "post-fix", "31ad283", 0, "").ok());
}

void end(sim::Recorder& rec) {
  sim::RunTotals totals;
  totals.end_ns = kRun;
  REQUIRE(rec.end_run("complete", totals).ok());
}

// Link a -> b as the dial order makes it.
void check_link_ab(const sim::LinkSummary& l) {
  CHECK(l.dialer_name == "a");
  CHECK(l.listener_name == "b");
  CHECK(l.dialer_version == "pre-fix");  // #1's, not #2's (the first row written)
  CHECK(l.attempts == 3);
  CHECK(l.connections == 3);
  CHECK(l.connections_per_hour == doctest::Approx(3.0 * kHour / kRun));
  CHECK(l.protocol_errors == 3);
  // Redial gaps in dial order: #2's dial - #1's close, #3's dial - #2's close.
  const Duration gap1 = 3 * kSecond - 4 * kSecond, gap2 = 6 * kSecond - 3500 * kMillisecond;
  CHECK(l.median_redial_gap_ns == (gap1 + gap2) / 2);
  // Lifetimes 3.99 s, 0.49 s and (to the end of the run) 3.99 s.
  CHECK(l.median_lifetime_ns == 3990 * kMillisecond);
  const Duration up = 3990 * kMillisecond + 490 * kMillisecond + (kRun - 6010 * kMillisecond);
  CHECK(l.up_fraction == doctest::Approx(static_cast<double>(up) / kRun));
  CHECK(l.main_close_reason == "peer_closed");  // 2 of 3
}

}  // namespace

TEST_CASE("summary links: dial order decides, not the order rows were written") {
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  begin(**rec);
  add_link_ab(**rec);
  end(**rec);
  auto s = sim::summarize((*rec)->db(), 0);
  REQUIRE(s.ok());
  REQUIRE(s->links.size() == 1);
  check_link_ab(s->links[0]);
  REQUIRE(s->pairs.size() == 1);
  CHECK(s->pairs[0].dialer_version == "pre-fix");
  CHECK(s->pairs[0].median_lifetime_ns == 3990 * kMillisecond);
}

TEST_CASE("summary links: the main close reason counts past the first few kinds") {
  // b -> c ends five ways; the fifth, reset, twice: the most frequent.
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  begin(**rec);
  const node::CloseReason reasons[] = {
      node::CloseReason::kPeerClosed,     node::CloseReason::kPongTimeout,
      node::CloseReason::kConnectTimeout, node::CloseReason::kBanned,
      node::CloseReason::kReset,          node::CloseReason::kReset};
  std::uint64_t id = 1;
  for (const auto reason : reasons) {
    auto r = short_conn(id, 1, 2, "post-fix");
    r.close_reason = reason;
    REQUIRE((*rec)->add_connection(r).ok());
    ++id;
  }
  end(**rec);
  auto s = sim::summarize((*rec)->db(), 0);
  REQUIRE(s.ok());
  REQUIRE(s->links.size() == 1);
  CHECK(s->links[0].main_close_reason == "reset");
}

TEST_CASE("summary links: a version only a connection row names has its profile") {
  // Node a runs pre-fix at the start and logging-fix later (an upgrade): the link is named
  // by its first connection, logging-fix, a version no nodes row has. Two of its three
  // connections ended under a fault.
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  begin(**rec);
  std::uint64_t id = 1;
  for (const std::uint32_t fault : {0u, 3u, 4u}) {
    auto r = short_conn(id, 0, 1, "logging-fix");
    r.fault_id = fault;
    REQUIRE((*rec)->add_connection(r).ok());
    ++id;
  }
  end(**rec);
  auto s = sim::summarize((*rec)->db(), 0);
  REQUIRE(s.ok());
  REQUIRE(s->links.size() == 1);
  CHECK(s->links[0].dialer_version == "logging-fix");
  CHECK(s->links[0].link_class == "cycling");
  CHECK(s->connections_ended_by_faults == 2);
}

TEST_CASE("summary links: sparse conn_ids (an imported or merged DB) give the same link") {
  // Dial order is (t_dial_ns, conn_id), whatever the ids are (1000, 2000, 3000 for three
  // rows, and another link's between them).
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  begin(**rec);
  add_link_ab(**rec, 1000);
  // b -> c's only connection has no next dial; its id falls between a -> b's.
  REQUIRE((*rec)->add_connection(conn(1500, 1, 2, "post-fix", kSecond, 2 * kSecond)).ok());
  end(**rec);
  auto s = sim::summarize((*rec)->db(), 0);
  REQUIRE(s.ok());
  REQUIRE(s->links.size() == 2);
  check_link_ab(s->links[0]);
  CHECK(s->links[1].median_redial_gap_ns == -1);
}

TEST_CASE("summary links: a run read by scan and a run read by index agree") {
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  // Run 1 is most of the table (read by a scan); run 2 a small part (by index).
  begin(**rec);
  add_link_ab(**rec);
  for (std::uint64_t i = 0; i < 20; ++i)
    REQUIRE((*rec)
                ->add_connection(
                    conn(4 + i, 1, 2, "post-fix", static_cast<SimTime>(i) * 400 * kMillisecond,
                         static_cast<SimTime>(i) * 400 * kMillisecond + 100 * kMillisecond))
                .ok());
  end(**rec);
  begin(**rec);
  add_link_ab(**rec);
  end(**rec);
  for (std::int64_t run = 1; run <= 2; ++run) {
    CAPTURE(run);
    auto s = sim::summarize((*rec)->db(), run);
    REQUIRE(s.ok());
    REQUIRE(s->links.size() == (run == 1 ? 2u : 1u));
    check_link_ab(s->links[0]);
    if (run == 1) {
      const auto& bc = s->links[1];
      CHECK(bc.attempts == 20);
      CHECK(bc.median_redial_gap_ns == 300 * kMillisecond);
      CHECK(bc.median_lifetime_ns == 90 * kMillisecond);
      CHECK(bc.link_class == "cycling");
    }
  }
}

TEST_CASE("summary links: links come in (dialer, listener) order, not the order rows came") {
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  begin(**rec);
  // c -> a, then b -> c, then a -> b (three rows each), then c -> b: written in that order.
  REQUIRE((*rec)->add_connection(conn(10, 2, 0, "post-fix", kSecond, 2 * kSecond)).ok());
  // b -> c dialled at 1, 2 and 4 s, each closed 100 ms later, written latest first.
  for (const SimTime t : {4 * kSecond, 2 * kSecond, kSecond})
    REQUIRE((*rec)
                ->add_connection(conn(static_cast<std::uint64_t>(20 + t / kSecond), 1, 2,
                                      "post-fix", t, t + 100 * kMillisecond))
                .ok());
  add_link_ab(**rec);
  REQUIRE((*rec)->add_connection(conn(12, 2, 1, "post-fix", kSecond, 2 * kSecond)).ok());
  end(**rec);
  auto s = sim::summarize((*rec)->db(), 0);
  REQUIRE(s.ok());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> order;
  for (const auto& l : s->links)
    order.emplace_back(l.dialer, l.listener);
  CHECK(order ==
        std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 1}, {1, 2}, {2, 0}, {2, 1}});
  check_link_ab(s->links[0]);
  // b -> c's gaps in dial order: 2 s - 1.1 s and 4 s - 2.1 s.
  CHECK(s->links[1].median_redial_gap_ns == 1400 * kMillisecond);
  CHECK(s->connections == 8);
}

}  // namespace ts
