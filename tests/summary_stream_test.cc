// The summary's links streamed from the rows as the Recorder writes them (cmd_run) equal
// the links a scan of the results DB gives (summarize without a stream: report, compare).
#include <doctest/doctest.h>
#include <fmt/core.h>

#include <string>

#include "analysis/link_accumulator.h"
#include "analysis/summary.h"
#include "test_util.h"

namespace ts {
namespace {

// Every field of the summary's links, pairs, phases and counts.
std::string describe(const sim::RunSummary& s) {
  std::string out = fmt::format("conns {} errors {} faulted {} classes {} {} {} {}\n",
                                s.connections, s.protocol_errors, s.connections_ended_by_faults,
                                s.cycling, s.stable, s.flapping, s.down);
  for (const auto& l : s.links)
    out += fmt::format(
        "{}->{} {} {} {}/{} att {} conns {} life {} gap {} up {:.17g} reason {} errs {} "
        "perh {:.17g} ping {} rtt {} {}\n",
        l.dialer, l.listener, l.dialer_name, l.listener_name, l.dialer_version, l.listener_version,
        l.attempts, l.connections, l.median_lifetime_ns, l.median_redial_gap_ns, l.up_fraction,
        l.main_close_reason, l.protocol_errors, l.connections_per_hour, l.ping_interval_ns,
        l.rtt_avg_ns, l.link_class);
  for (const auto& p : s.pairs)
    out += fmt::format(
        "{}->{} links {} {} {} {} {} conns {} perh {:.17g} life {} up {:.17g} "
        "errs {}\n",
        p.dialer_version, p.listener_version, p.links, p.cycling, p.stable, p.flapping, p.down,
        p.connections, p.connections_per_link_hour, p.median_lifetime_ns, p.up_fraction,
        p.protocol_errors);
  for (const auto& p : s.phases)
    out += fmt::format("phase {} {} {} {} {} {} {}\n", p.start_ns, p.end_ns, p.label, p.cycling,
                       p.stable, p.flapping, p.down);
  return out;
}

std::int64_t run_end(const test::Run& r) {
  return r.scalar("SELECT COALESCE(end_ns, duration_ns) FROM runs WHERE run_id = 1");
}

}  // namespace

TEST_CASE("summary stream: the links streamed from the rows equal a scan of the DB") {
  struct Case {
    const char* scenario;
    std::uint64_t seed;
    Duration duration;
  };
  std::int64_t open_at_end = 0;
  std::uint64_t faulted = 0, errors = 0, phases = 0;
  // The incident (cycling, protocol errors), a rollout (phases), faults (fault_id), a
  // larger random graph and consensus, each with connections still open at the end.
  for (const Case c :
       {Case{"topologies/six_nodes.yaml", 1, 20 * kMinute},
        Case{"topologies/six_nodes_rollout.yaml", 3, 30 * kMinute},
        Case{"topologies/six_nodes_full_outbound_partition.yaml", 2, 20 * kMinute},
        Case{"topologies/six_nodes_postfix_latency_spike.yaml", 5, 20 * kMinute},
        Case{"topologies/random_100.yaml", 7, 10 * kMinute},
        Case{"topologies/six_nodes_hypothetical_ideal_partition.yaml", 4, 15 * kMinute}}) {
    CAPTURE(c.scenario);
    const auto sc = test::load(c.scenario);
    sim::LinkAccumulator streamed;
    const auto r = test::run(sc, c.seed, c.duration, std::nullopt, &streamed);
    // Otherwise summarize would scan the DB for both and this would compare a scan with itself.
    REQUIRE(streamed.exact_for(sc.nodes.size(), run_end(r)));
    CHECK(streamed.rows() == static_cast<std::uint64_t>(r.scalar(
                                 "SELECT count(*) FROM connection_fields WHERE run_id = 1")));
    open_at_end += r.scalar("SELECT count(*) FROM connection_fields WHERE open_at_end = 1");
    auto from_stream = sim::summarize(r.db(), 1, &streamed);
    auto from_scan = sim::summarize(r.db(), 1);
    REQUIRE(from_stream.ok());
    REQUIRE(from_scan.ok());
    CHECK(from_scan->links.size() > 0);
    CHECK(describe(*from_stream) == describe(*from_scan));
    CHECK(streamed.finished());  // the stream gave the links, not a second scan
    // Spent: a second summary scans, and gives the same again.
    CHECK_FALSE(streamed.exact_for(sc.nodes.size(), run_end(r)));
    auto again = sim::summarize(r.db(), 1, &streamed);
    REQUIRE(again.ok());
    CHECK(describe(*again) == describe(*from_scan));
    faulted += from_scan->connections_ended_by_faults;
    errors += from_scan->protocol_errors;
    phases += from_scan->phases.size();
  }
  // What the cases are for: each part of a row the summary reads is exercised.
  CHECK(open_at_end > 0);
  CHECK(faulted > 0);
  CHECK(errors > 0);
  CHECK(phases > 0);
}

TEST_CASE("summary stream: a stream that cannot match the DB's rows is not used") {
  const auto sc = test::load("topologies/six_nodes.yaml");
  sim::LinkAccumulator streamed;
  const auto r = test::run(sc, 1, 10 * kMinute, std::nullopt, &streamed);
  const SimTime end = run_end(r);
  REQUIRE(streamed.exact_for(sc.nodes.size(), end));
  // A row the DB does not have, closed after the run's end: only a scan is exact now.
  sim::ConnRowDigest extra;
  extra.conn_id = 1u << 30;
  extra.dialer = 0;
  extra.listener = 1;
  extra.t_dial = extra.t_connect = end - kSecond;
  extra.t_closed_dialer = end + kHour;
  streamed.add(extra);
  CHECK_FALSE(streamed.exact_for(sc.nodes.size(), end));
  auto from_stream = sim::summarize(r.db(), 1, &streamed);
  CHECK_FALSE(streamed.finished());
  CHECK(streamed.rows() == 0);  // discarded before the scan
  auto from_scan = sim::summarize(r.db(), 1);
  REQUIRE(from_stream.ok());
  REQUIRE(from_scan.ok());
  CHECK(describe(*from_stream) == describe(*from_scan));

  // A row written where the stream did not see it (as one queued before it was attached):
  // it holds fewer rows than the DB, so only a scan is exact.
  {
    sim::LinkAccumulator missed_one;
    const auto m = test::run(sc, 1, 10 * kMinute, std::nullopt, &missed_one);
    REQUIRE(missed_one.exact_for(sc.nodes.size(), end));
    REQUIRE(sql::exec(
                m.db(),
                "INSERT INTO connection_fields SELECT run_id, conn_id + 1000000, dialer, "
                "listener, "
                "dialer_version, listener_version, t_dial_ns + 1, connect_after_dial_ns, "
                "accept_after_connect_ns, handshake_after_accept_ns, close_after_accept_ns, "
                "closed_dialer_after_close_ns, closed_listener_after_close_ns, close_reason, "
                "closed_by, open_at_end, msgs_d2l, bytes_d2l, msgs_l2d, bytes_l2d, pings_sent, "
                "last_ping_after_connect_ns, pongs_matched, pongs_unmatched, pings_missed, "
                "pings_answered, msgs_dropped, protocol_errors, rtt_min_ns, rtt_avg_ns, "
                "rtt_max_ns, fault_id, error_by, error_after_close_ns, error_kind, error_text, "
                "error_addr_at, error_port FROM connection_fields WHERE run_id = 1 AND conn_id = 1")
                .ok());
    auto from_missed = sim::summarize(m.db(), 1, &missed_one);
    CHECK_FALSE(missed_one.finished());
    auto from_db = sim::summarize(m.db(), 1);
    REQUIRE(from_missed.ok());
    REQUIRE(from_db.ok());
    CHECK(from_db->connections == from_scan->connections + 1);
    CHECK(describe(*from_missed) == describe(*from_db));
  }

  // A stream bounded to fewer links than the run has stops, holding nothing, and the
  // summary comes from a scan.
  {
    auto bounded = sim::LinkAccumulator::stream(4);
    const auto b = test::run(sc, 1, 10 * kMinute, std::nullopt, &bounded);
    CHECK(bounded.stopped());
    CHECK(bounded.rows() == 0);
    CHECK_FALSE(bounded.exact_for(sc.nodes.size(), end));
    auto from_bounded = sim::summarize(b.db(), 1, &bounded);
    auto from_db = sim::summarize(b.db(), 1);
    REQUIRE(from_bounded.ok());
    REQUIRE(from_db.ok());
    CHECK(from_db->links.size() > 4);
    CHECK(describe(*from_bounded) == describe(*from_db));
    // The default bound is far above a small run's links.
    auto unbounded = sim::LinkAccumulator::stream();
    const auto u = test::run(sc, 1, 10 * kMinute, std::nullopt, &unbounded);
    CHECK_FALSE(unbounded.stopped());
    CHECK(unbounded.exact_for(sc.nodes.size(), end));
  }

  sim::LinkAccumulator other_nodes;
  extra.t_closed_dialer = end;
  extra.listener = static_cast<std::uint32_t>(sc.nodes.size());
  other_nodes.add(extra);
  CHECK_FALSE(other_nodes.exact_for(sc.nodes.size(), end));
  CHECK(other_nodes.exact_for(sc.nodes.size() + 1, end));
}

}  // namespace ts

namespace ts {
namespace {
struct CountingObserver final : sim::ConnRowObserver {
  std::uint64_t rows = 0;
  void on_connection_row(const sim::ConnRowDigest&) override { ++rows; }
};
}  // namespace

TEST_CASE("summary stream: the Recorder lets go of the observer when the run ends") {
  const auto sc = test::load("topologies/six_nodes.yaml");
  CountingObserver seen;
  auto r = test::run(sc, 1, 5 * kMinute, std::nullopt, &seen);
  CHECK(seen.rows ==
        static_cast<std::uint64_t>(r.scalar("SELECT count(*) FROM connection_fields")));
  // A row written after end_run (there is no reason to, but the observer may be gone).
  sim::ConnRecord late;
  late.conn_id = 1u << 30;
  late.t_dial = 0;
  late.dialer_version = late.listener_version = "post-fix";
  REQUIRE(r.rec->add_connection(late).ok());
  REQUIRE(r.rec->flush().ok());
  CHECK(seen.rows + 1 ==
        static_cast<std::uint64_t>(r.scalar("SELECT count(*) FROM connection_fields")));
}

}  // namespace ts
