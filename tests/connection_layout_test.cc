// Schema 9: a run's connections are connection_core rows (keyed run_id << 32 | conn_id), a
// dictionary of their labels and flags (connection_shapes) and connection_details rows only
// where a value differs from its default. The connections view must show every value as
// written, wherever it is stored.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "run_cli.h"
#include "store/recorder.h"
#include "store/reorder_window.h"
#include "test_util.h"

namespace ts {
namespace {

struct Db {
  std::unique_ptr<sim::Recorder> rec;
  Db() {
    auto r = sim::Recorder::open(":memory:");
    REQUIRE(r.ok());
    rec = std::move(*r);
    REQUIRE(rec->begin_run(sim::RunInfo{}).ok());
    REQUIRE(rec->add_node(0, "a", "10.0.0.1", "pre-fix", "ea701a4", 0, "").ok());
    REQUIRE(rec->add_node(1, "b", "10.0.0.17", "post-fix", "31ad283", 0, "").ok());
  }
  std::string value(const std::string& sql) const {
    const auto rows = test::rows(rec->db(), sql);
    REQUIRE(rows.size() == 1);
    return rows[0][0];
  }
};

// A connection whose every connection_details value is its default: dialled, connected,
// accepted, closed by the listener at once on both sides, its one ping at the connect.
sim::ConnRecord plain(std::uint64_t id) {
  sim::ConnRecord r;
  r.conn_id = id;
  r.dialer = 0;
  r.listener = 1;
  r.dialer_version = "pre-fix";
  r.listener_version = "post-fix";
  r.t_dial = 1'000'000 * static_cast<SimTime>(id);
  r.t_connect = r.t_dial + 1'000;
  r.t_accept = r.t_dial + 2'000;
  r.t_close = r.t_closed_dialer = r.t_closed_listener = r.t_dial + 3'000;
  r.t_last_ping = r.t_connect;
  r.close_reason = node::CloseReason::kMessageBeforeHandshake;
  r.closed_by = sim::Side::kListener;
  r.msgs_d2l = r.pings_sent = 1;
  r.bytes_d2l = 61;
  return r;
}

struct Changed {
  const char* column;  // of the connections view
  void (*change)(sim::ConnRecord&);
  const char* expect;  // the view's value after the change
};

}  // namespace

TEST_CASE("connection layout: each value reads back, in connection_details only off its default") {
  const Changed cases[] = {
      {"t_handshake_ns", [](sim::ConnRecord& r) { r.t_handshake = r.t_accept + 5; }, "2002005"},
      {"t_closed_listener_ns", [](sim::ConnRecord& r) { r.t_closed_listener = r.t_close + 7; },
       "2003007"},
      {"t_closed_listener_ns", [](sim::ConnRecord& r) { r.t_closed_listener = kNever; }, "NULL"},
      {"msgs_l2d", [](sim::ConnRecord& r) { r.msgs_l2d = 3; }, "3"},
      {"bytes_l2d", [](sim::ConnRecord& r) { r.bytes_l2d = 300; }, "300"},
      {"t_last_ping_ns", [](sim::ConnRecord& r) { r.t_last_ping = r.t_connect + 9; }, "2001009"},
      {"t_last_ping_ns", [](sim::ConnRecord& r) { r.t_last_ping = kNever; }, "NULL"},
      {"rtt_avg_ns",
       [](sim::ConnRecord& r) {
         r.pongs_matched = 2;
         r.rtt_min = 10;
         r.rtt_max = 30;
         r.rtt_sum = 40;
       },
       "20"},
      {"pongs_unmatched", [](sim::ConnRecord& r) { r.pongs_unmatched = 4; }, "4"},
      {"pings_missed", [](sim::ConnRecord& r) { r.pings_missed = 5; }, "5"},
      {"pings_answered", [](sim::ConnRecord& r) { r.pings_answered = 6; }, "6"},
      {"msgs_dropped", [](sim::ConnRecord& r) { r.msgs_dropped = 7; }, "7"},
      {"protocol_errors", [](sim::ConnRecord& r) { r.protocol_errors = 2; }, "2"},
      {"fault_id", [](sim::ConnRecord& r) { r.fault_id = 3; }, "3"},
  };
  Db db;
  REQUIRE(db.rec->add_connection(plain(1)).ok());
  std::uint64_t id = 2;
  for (const auto& c : cases) {
    sim::ConnRecord r = plain(id++);
    r.t_dial = plain(2).t_dial;  // the expected times are those of conn 2
    r.t_connect = r.t_dial + 1'000;
    r.t_accept = r.t_dial + 2'000;
    r.t_close = r.t_closed_dialer = r.t_closed_listener = r.t_dial + 3'000;
    r.t_last_ping = r.t_connect;
    c.change(r);
    REQUIRE(db.rec->add_connection(r).ok());
  }
  // With a coded first error, protocol_errors 1 and the error at the close are the defaults.
  sim::ConnRecord e = plain(id);
  e.protocol_errors = 1;
  REQUIRE(db.rec
              ->add_protocol_error(e.t_close, 1, 0, e.conn_id, "message_before_handshake",
                                   "10.0.0.1:49152 sent message before handshake", &e)
              .ok());
  REQUIRE(db.rec->add_connection(e).ok());
  sim::ConnRecord late = plain(id + 1);
  late.protocol_errors = 1;
  REQUIRE(db.rec
              ->add_protocol_error(late.t_close - 40, 1, 0, late.conn_id, "invalid_json",
                                   "10.0.0.1:49153 bad line", &late)
              .ok());
  REQUIRE(db.rec->add_connection(late).ok());
  REQUIRE(db.rec->end_run("complete", sim::RunTotals{}).ok());

  auto details = [&](std::uint64_t conn) {
    return db.value("SELECT count(*) FROM connection_details WHERE conn_key = (1 << 32) | " +
                    std::to_string(conn));
  };
  CHECK(details(1) == "0");
  CHECK(db.value("SELECT t_last_ping_ns || ' ' || t_closed_listener_ns || ' ' || "
                 "protocol_errors || ' ' || msgs_l2d || ' ' || COALESCE(fault_id, 'NULL') || ' ' "
                 "|| COALESCE(t_handshake_ns, 'NULL') FROM connections WHERE conn_id = 1") ==
        "1001000 1003000 0 0 NULL NULL");
  id = 2;
  for (const auto& c : cases) {
    CAPTURE(c.column);
    CHECK(db.value(std::string("SELECT COALESCE(") + c.column +
                   ", 'NULL') FROM connections WHERE conn_id = " + std::to_string(id)) == c.expect);
    CHECK(details(id) == "1");
    ++id;
  }
  CHECK(details(id) == "0");
  CHECK(db.value("SELECT protocol_errors FROM connections WHERE conn_id = " + std::to_string(id)) ==
        "1");
  CHECK(db.value("SELECT t_ns FROM protocol_errors WHERE conn_id = " + std::to_string(id)) ==
        std::to_string(e.t_close));
  CHECK(details(id + 1) == "1");
  CHECK(db.value("SELECT t_ns FROM protocol_errors WHERE conn_id = " + std::to_string(id + 1)) ==
        std::to_string(late.t_close - 40));
  CHECK(db.value("SELECT text FROM protocol_errors WHERE conn_id = " + std::to_string(id + 1)) ==
        "10.0.0.1:49153 bad line");
  // The two coded errors differ in kind and text: two shapes with an error, one without.
  CHECK(db.value("SELECT count(*) FROM connection_shapes") == "3");
}

TEST_CASE("connection layout: a run's labels and flags are one shape row per combination") {
  const auto r = test::run(test::load("topologies/six_nodes.yaml"), 1, 20 * kMinute);
  const auto connections = r.scalar("SELECT count(*) FROM connections");
  CHECK(connections > 1000);
  CHECK(r.scalar("SELECT count(*) FROM connection_core") == connections);
  CHECK(r.scalar("SELECT count(*) FROM connection_shapes") ==
        r.scalar("SELECT count(*) FROM (SELECT DISTINCT dialer_version, listener_version, "
                 "close_reason, closed_by, open_at_end, error_by, error_kind, error_text, "
                 "error_addr_at FROM connection_fields)"));
  // The incident's cycling connections hold every default; the stable links' do not.
  const auto off_default = r.scalar(
      "SELECT count(*) FROM connection_fields WHERE NOT (handshake_after_accept_ns IS NULL AND "
      "closed_listener_after_close_ns IS 0 AND msgs_l2d = 0 AND bytes_l2d = 0 AND "
      "last_ping_after_connect_ns IS 0 AND pongs_matched = 0 AND pongs_unmatched = 0 AND "
      "pings_missed = 0 AND pings_answered = 0 AND msgs_dropped = 0 AND "
      "protocol_errors = (error_by IS NOT NULL) AND fault_id IS NULL AND "
      "error_after_close_ns IS (CASE WHEN error_by IS NOT NULL THEN 0 END))");
  CHECK(off_default > 0);
  CHECK(off_default * 10 < connections);
  CHECK(r.scalar("SELECT count(*) FROM connection_details") == off_default);
}

namespace {
struct WriteOrder : sim::ConnRowObserver {
  std::vector<std::uint64_t> ids;
  void on_connection_row(const sim::ConnRowDigest& row) override { ids.push_back(row.conn_id); }
};
}  // namespace

TEST_CASE("connection layout: rows come out in conn_id order, a late one still lands") {
  Db db;
  WriteOrder order;
  REQUIRE(db.rec->observe_connection_rows(&order).ok());
  // More than the window, in close order: a long-lived connection 1 closes last.
  const std::uint64_t n = sim::Recorder::kHeldConnections + 300;
  for (std::uint64_t id = 2; id <= n; id += 2) {  // pairs closing in reverse: 3, 2, 5, 4, ...
    REQUIRE(db.rec->add_connection(plain(id + 1)).ok());
    REQUIRE(db.rec->add_connection(plain(id)).ok());
  }
  REQUIRE(db.rec->add_connection(plain(1)).ok());
  REQUIRE(db.rec->end_run("complete", sim::RunTotals{}).ok());
  // Written in key order (connection_core's pages fill as when appended to), but for 1,
  // which came after 2 .. 301 were out.
  std::vector<std::uint64_t> want;
  for (std::uint64_t id = 2; id <= n + 1; ++id)
    want.push_back(id);
  want.insert(want.begin() + 300, 1);
  CHECK(order.ids == want);
  CHECK(db.value("SELECT count(*) FROM connections") == std::to_string(n + 1));
  CHECK(db.value("SELECT min(conn_id) || ' ' || max(conn_id) FROM connections") ==
        "1 " + std::to_string(n + 1));
  // A conn_id connection_core's key cannot hold is refused, naming the limit.
  Db big;
  auto refused = big.rec->add_connection(plain(std::uint64_t{1} << 32));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("at most 4294967295 connections") != std::string::npos);
}

TEST_CASE("connection layout: a run abandoned before its end keeps the rows it was given") {
  const auto dir = test::fresh_dir("connection_layout_abandoned");
  const std::string path = (dir / "x.db").string();
  {
    auto r = sim::Recorder::open(path);
    REQUIRE(r.ok());
    REQUIRE((*r)->begin_run(sim::RunInfo{}).ok());
    for (std::uint64_t id = 1; id <= 5; ++id)
      REQUIRE((*r)->add_connection(plain(id)).ok());
  }  // destroyed without end_run, as when an exception unwinds past the run
  const auto db = test::open_read_only(path);
  CHECK(test::scalar(db.get(), "SELECT count(*) FROM connections") == 5);
  CHECK(test::rows(db.get(), "SELECT status FROM runs") ==
        std::vector<std::vector<std::string>>{{"failed"}});
}

TEST_CASE("reorder window: items come out smallest key first once the window is full") {
  sim::ReorderWindow<int> w(3);
  std::vector<int> out;
  for (int k : {5, 3, 9, 1, 4, 2, 8, 7, 6}) {
    w.push(static_cast<std::uint64_t>(k), int{k * 10});
    if (w.over_capacity()) out.push_back(w.take_smallest());
  }
  CHECK(w.size() == 3);
  CHECK(out == std::vector<int>{10, 30, 20, 40, 50, 60});  // 2 came after 3 was out: late
  while (!w.empty())
    out.push_back(w.take_smallest());
  CHECK(out == std::vector<int>{10, 30, 20, 40, 50, 60, 70, 80, 90});
}

}  // namespace ts

namespace ts {
TEST_CASE("connection layout: the views read a run's rows once, looking each label up per row") {
  // Left to choose, SQLite looped over a run's labels outside its rows: on the churn hour,
  // `connections` of one run took 39 s instead of 1.5 s.
  const auto r = test::run(test::load("topologies/six_nodes.yaml"), 1, 2 * kMinute);
  for (const char* query : {"connections WHERE run_id = 1 AND t_connect_ns IS NOT NULL",
                            "protocol_errors WHERE run_id = 1 AND t_ns > 0",
                            "connection_lifetimes WHERE run_id = 1 AND lifetime_ns > 0"}) {
    CAPTURE(query);
    const auto plan =
        test::rows(r.db(), std::string("EXPLAIN QUERY PLAN SELECT count(*) FROM ") + query);
    std::vector<std::string> loops;  // the plan's tables, outermost first
    for (const auto& row : plan)
      loops.push_back(row[3]);
    std::size_t core = loops.size();
    for (std::size_t i = 0; i < loops.size() && core == loops.size(); ++i)
      if (loops[i].find("SEARCH c USING INTEGER PRIMARY KEY") != std::string::npos) core = i;
    CAPTURE(loops);
    REQUIRE(core < loops.size());
    for (std::size_t i = 0; i < core; ++i)
      CHECK(loops[i].find("labels") == std::string::npos);
  }
}
}  // namespace ts
