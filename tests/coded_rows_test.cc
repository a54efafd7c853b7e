// Schema 7: connections and protocol_errors are views over coded tables (store/recorder.cc
// codes, store/results_db.cc decodes). What goes in must come out byte for byte.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "analysis/summary.h"
#include "store/recorder.h"
#include "test_util.h"

namespace ts {
namespace {

struct Db {
  std::unique_ptr<sim::Recorder> rec;
  explicit Db() {
    auto r = sim::Recorder::open(":memory:");
    REQUIRE(r.ok());
    rec = std::move(*r);
    sim::RunInfo info;
    REQUIRE(rec->begin_run(info).ok());
    REQUIRE(rec->add_node(0, "a", "10.0.0.1", "pre-fix", "ea701a4", 0, "").ok());
    REQUIRE(rec->add_node(1, "b", "10.0.0.17", "post-fix", "31ad283", 0, "").ok());
  }
  void end() { REQUIRE(rec->end_run("complete", sim::RunTotals{}).ok()); }
  std::vector<std::vector<std::string>> rows(const std::string& sql) const {
    return test::rows(rec->db(), sql);
  }
};

}  // namespace

TEST_CASE("coded rows: every protocol error text reads back as written") {
  Db db;
  // peer 1 is 10.0.0.17; peer 0 is 10.0.0.1, a prefix of it.
  const std::vector<std::pair<std::int64_t, std::string>> errors = {
      {1, "10.0.0.17:49152 sent message before handshake - closing connection (not blacklisting)"},
      {1, "10.0.0.17:49153 sent message before handshake - closing connection (not blacklisting)"},
      {0, "10.0.0.17:49153 from a peer whose own IP is a prefix: 10.0.0.1:7 at the end"},
      {1, "connection with 10.0.0.17:0 ended: Failed to deserialize message: EOF"},
      {1, "port with a leading zero 10.0.0.17:049 and a later one 10.0.0.17:5"},
      {1, "only the address 10.0.0.17:65535"},
      {1, "10.0.0.17:1234567890 ten digits"},
      {1, "10.0.0.17: no port, then 10.0.0.17:80"},
      {1, "caf\xc3\xa9 10.0.0.17:80 after a non-ASCII byte"},
      {1, std::string("a NUL \0 before 10.0.0.17:81 and \0 after", 39)},
      {1, "\xff\xfe invalid UTF-8, then 10.0.0.17:82"},
      {1, "10.0.0.17:80 before a non-ASCII byte: caf\xc3\xa9 \xff\xfe"},
      {1, "no address at all"},
      {-1, "10.0.0.17:80 without a peer"},
      {1, ""},
  };
  for (std::size_t i = 0; i < errors.size(); ++i)
    REQUIRE(db.rec
                ->add_protocol_error(static_cast<SimTime>(1000 + i), 0, errors[i].first, i + 1,
                                     "invalid_json", errors[i].second)
                .ok());
  db.end();
  const auto got = db.rows("SELECT text, peer, conn_id FROM protocol_errors ORDER BY t_ns");
  REQUIRE(got.size() == errors.size());
  for (std::size_t i = 0; i < errors.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i][0] == errors[i].second);
    CHECK(got[i][1] == (errors[i].first < 0 ? "NULL" : std::to_string(errors[i].first)));
  }
  // The address was cut out where it was exact to: the two incident lines share one label.
  const auto coded = db.rows("SELECT addr_at, port FROM protocol_error_rows ORDER BY t_ns");
  CHECK(coded[0] == std::vector<std::string>{"0", "49152"});
  CHECK(coded[1] == std::vector<std::string>{"0", "49153"});
  CHECK(db.rows("SELECT DISTINCT text_id FROM protocol_error_rows WHERE t_ns < 1002").size() == 1);
  CHECK(coded[2] == std::vector<std::string>{"54", "7"});   // 10.0.0.1, not 10.0.0.17, is peer 0
  CHECK(coded[4] == std::vector<std::string>{"55", "5"});   // not the one with a leading 0
  CHECK(coded[8] == std::vector<std::string>{"6", "80"});   // a byte offset, not characters
  CHECK(coded[9] == std::vector<std::string>{"15", "81"});  // a NUL before it, one after
  CHECK(coded[10] == std::vector<std::string>{"23", "82"});
  CHECK(coded[11] == std::vector<std::string>{"0", "80"});
  CHECK(db.rows("SELECT kind FROM protocol_errors GROUP BY kind") ==
        std::vector<std::vector<std::string>>{{"invalid_json"}});
}

TEST_CASE("coded rows: past kMaxTextLabels error texts, new texts are stored whole") {
  Db db;
  const std::size_t n = sim::Recorder::kMaxTextLabels + 10;
  for (std::size_t i = 0; i < n; ++i)
    REQUIRE(db.rec
                ->add_protocol_error(static_cast<SimTime>(i), 1, 0, i + 1, "invalid_json",
                                     "text " + std::to_string(i))
                .ok());
  // A text labelled before the cap still uses its label after it.
  REQUIRE(db.rec->add_protocol_error(static_cast<SimTime>(n), 1, 0, n + 1, "invalid_json", "text 0")
              .ok());
  db.end();
  CHECK(test::scalar(db.rec->db(), "SELECT count(*) FROM protocol_error_rows WHERE text IS NULL") ==
        static_cast<std::int64_t>(sim::Recorder::kMaxTextLabels) + 1);
  CHECK(test::scalar(db.rec->db(),
                     "SELECT count(*) FROM protocol_errors WHERE text = 'text ' || "
                     "(t_ns % " +
                         std::to_string(n) + ")") == static_cast<std::int64_t>(n) + 1);
}

TEST_CASE("coded rows: a connection reads back with every time and label as written") {
  Db db;
  sim::ConnRecord r;
  r.conn_id = 7;
  r.dialer = 0;
  r.listener = 1;
  r.dialer_version = "pre-fix";
  r.listener_version = "post-fix";
  r.t_dial = 5'000'000'000;
  r.t_connect = r.t_dial + 13'000;
  r.t_accept = r.t_dial + 27'000;
  r.t_close = r.t_dial + 200'000;
  r.t_closed_listener = r.t_dial + 200'000;
  r.t_closed_dialer = r.t_dial + 1'900'000;
  r.t_last_ping = r.t_dial + 30'000;
  r.close_reason = node::CloseReason::kMessageBeforeHandshake;
  r.closed_by = sim::Side::kListener;
  r.msgs_d2l = 1;
  r.bytes_d2l = 61;
  r.pings_sent = 1;
  r.protocol_errors = 1;
  REQUIRE(db.rec->add_connection(r).ok());
  r.conn_id = 8;
  r.t_connect = r.t_accept = r.t_close = r.t_closed_dialer = r.t_closed_listener = kNever;
  r.t_last_ping = kNever;
  r.open_at_end = true;
  r.close_reason = node::CloseReason::kEndOfRun;
  r.closed_by = sim::Side::kNone;
  REQUIRE(db.rec->add_connection(r).ok());
  // An imported capture can see the listener accept a connection whose dialer it did not
  // see connect: every time whose base is missing falls back to an earlier one.
  r.conn_id = 9;
  r.t_accept = r.t_dial + 41'000;
  r.t_handshake = r.t_dial + 52'000;
  r.t_close = r.t_dial + 63'000;
  r.t_closed_dialer = r.t_dial + 74'000;
  r.t_last_ping = r.t_dial + 85'000;
  REQUIRE(db.rec->add_connection(r).ok());
  r.conn_id = 10;
  r.t_accept = r.t_handshake = kNever;
  r.t_connect = r.t_dial + 96'000;
  REQUIRE(db.rec->add_connection(r).ok());
  db.end();
  const auto got = db.rows(
      "SELECT conn_id, dialer_version, listener_version, t_dial_ns, t_connect_ns, t_accept_ns, "
      "t_handshake_ns, t_close_ns, t_closed_dialer_ns, t_closed_listener_ns, close_reason, "
      "closed_by, t_last_ping_ns, open_at_end FROM connections ORDER BY conn_id");
  REQUIRE(got.size() == 4);
  CHECK(got[0] == std::vector<std::string>{"7", "pre-fix", "post-fix", "5000000000", "5000013000",
                                           "5000027000", "NULL", "5000200000", "5001900000",
                                           "5000200000", "message_before_handshake", "listener",
                                           "5000030000", "0"});
  CHECK(got[1] == std::vector<std::string>{"8", "pre-fix", "post-fix", "5000000000", "NULL", "NULL",
                                           "NULL", "NULL", "NULL", "NULL", "end_of_run", "none",
                                           "NULL", "1"});
  CHECK(got[2] == std::vector<std::string>{"9", "pre-fix", "post-fix", "5000000000", "NULL",
                                           "5000041000", "5000052000", "5000063000", "5000074000",
                                           "NULL", "end_of_run", "none", "5000085000", "1"});
  // The decoded times compare as schema 6's INTEGER columns did: with a text operand too.
  CHECK(test::scalar(db.rec->db(),
                     "SELECT count(*) FROM connections WHERE t_connect_ns = '5000013000'") == 1);
  CHECK(test::scalar(db.rec->db(),
                     "SELECT count(*) FROM connections WHERE t_last_ping_ns IN "
                     "('5000030000', '5000085000')") == 3);
  CHECK(got[3] == std::vector<std::string>{"10", "pre-fix", "post-fix", "5000000000", "5000096000",
                                           "NULL", "NULL", "5000063000", "5000074000", "NULL",
                                           "end_of_run", "none", "5000085000", "1"});
}

TEST_CASE("coded rows: a connection's first protocol error is coded in its row (schema 8)") {
  Db db;
  auto conn = [](std::uint64_t id, std::uint32_t dialer, std::uint32_t listener) {
    sim::ConnRecord r;
    r.conn_id = id;
    r.dialer = dialer;
    r.listener = listener;
    r.dialer_version = "pre-fix";
    r.listener_version = "post-fix";
    r.t_dial = 1'000'000'000 * static_cast<SimTime>(id);
    return r;
  };
  const std::string incident = " sent message before handshake - closing connection";
  // 1: the listener (1) logs about the dialer (0), then a second error; closed after both.
  sim::ConnRecord a = conn(1, 0, 1);
  REQUIRE(db.rec
              ->add_protocol_error(a.t_dial + 500, 1, 0, 1, "message_before_handshake",
                                   "10.0.0.1:49152" + incident, &a)
              .ok());
  REQUIRE(db.rec->add_protocol_error(a.t_dial + 600, 1, 0, 1, "invalid_json", "second", &a).ok());
  a.t_close = a.t_closed_dialer = a.t_closed_listener = a.t_dial + 700;
  // 2: the dialer (1) logs about the listener (0); never closed (open at the end).
  sim::ConnRecord b = conn(2, 1, 0);
  REQUIRE(db.rec
              ->add_protocol_error(b.t_dial + 900, 1, 0, 2, "invalid_json",
                                   "bad line from 10.0.0.1:8333", &b)
              .ok());
  b.open_at_end = true;
  // 3: an error about a node that is not the connection's other end stays a side row.
  sim::ConnRecord c = conn(3, 0, 1);
  REQUIRE(db.rec->add_protocol_error(c.t_dial + 1, 1, -1, 3, "invalid_json", "no peer", &c).ok());
  // 4: an error whose connection's row never comes: written at the run's end.
  sim::ConnRecord d = conn(4, 0, 1);
  REQUIRE(db.rec->add_protocol_error(d.t_dial + 2, 0, 1, 4, "invalid_json", "orphan", &d).ok());
  // 5: no connection given.
  REQUIRE(db.rec->add_protocol_error(42, 0, 1, 0, "invalid_json", "none given").ok());
  CHECK(a.first_error_slot != 0);
  CHECK(b.first_error_slot != 0);
  CHECK(c.first_error_slot == 0);
  for (const auto* r : {&b, &a, &c})
    REQUIRE(db.rec->add_connection(*r).ok());
  db.end();
  CHECK(db.rows("SELECT conn_id, error_by, error_after_close_ns, error_addr_at, error_port FROM "
                "connection_fields ORDER BY conn_id") ==
        std::vector<std::vector<std::string>>{{"1", "1", "-200", "0", "49152"},
                                              {"2", "0", "900", "14", "8333"},
                                              {"3", "NULL", "NULL", "NULL", "NULL"}});
  CHECK(db.rows("SELECT conn_id, text FROM protocol_error_rows ORDER BY t_ns") ==
        std::vector<std::vector<std::string>>{
            {"NULL", "NULL"}, {"1", "NULL"}, {"3", "NULL"}, {"4", "NULL"}});
  CHECK(
      db.rows("SELECT t_ns, node, peer, conn_id, kind, text FROM protocol_errors ORDER BY t_ns") ==
      std::vector<std::vector<std::string>>{
          {"42", "0", "1", "NULL", "invalid_json", "none given"},
          {"1000000500", "1", "0", "1", "message_before_handshake", "10.0.0.1:49152" + incident},
          {"1000000600", "1", "0", "1", "invalid_json", "second"},
          {"2000000900", "1", "0", "2", "invalid_json", "bad line from 10.0.0.1:8333"},
          {"3000000001", "1", "NULL", "3", "invalid_json", "no peer"},
          {"4000000002", "0", "1", "4", "invalid_json", "orphan"}});
  CHECK(test::scalar_text(db.rec->db(),
                          "SELECT typeof(t_ns) FROM protocol_errors WHERE conn_id = 2") ==
        "integer");
  // node and peer compare with text as the INTEGER columns of schema 7 did.
  CHECK(test::scalar(db.rec->db(), "SELECT count(*) FROM protocol_errors WHERE node = '1'") == 4);
  CHECK(test::scalar(db.rec->db(), "SELECT count(*) FROM protocol_errors WHERE peer = '0'") == 3);
  auto s = sim::summarize(db.rec->db(), 1);
  REQUIRE(s.ok());
  CHECK(s->protocol_errors == 6);
}

TEST_CASE("coded rows: the summary ignores label ids a recorder never writes") {
  Db db;
  sim::ConnRecord r;
  r.conn_id = 1;
  r.dialer_version = "pre-fix";
  r.listener_version = "post-fix";
  r.t_dial = 0;
  r.dialer = 0;
  r.listener = 1;
  REQUIRE(db.rec->add_connection(r).ok());
  db.end();
  // A hand-edited file: ids outside 1..n used to size (or overflow) the summary's table.
  REQUIRE(sql::exec(db.rec->db(),
                    "INSERT INTO labels VALUES (1, -1, 'x'), (1, 9000000000000000000, 'y')")
              .ok());
  auto s = sim::summarize(db.rec->db(), 1);
  REQUIRE(s.ok());
  CHECK(s->connections == 1);
  REQUIRE(s->links.size() == 1);
  CHECK(s->links[0].dialer_version == "pre-fix");
}

}  // namespace ts
