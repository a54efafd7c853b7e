// The real-node import (real/): address plan, log-line parsing, and import-capture of a
// capture directory built here byte by byte (a pcap written with libpcap, a log line as the
// harness writes it), checked against the rows the connection must give. The run against
// the real code itself is tests/realnode_test.sh (ctest label realnode).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "real/address_plan.h"
#include "real/capture_import.h"
#include "real/fidelity.h"
#include "real/node_log.h"
#include "test_util.h"

using namespace ts;
namespace fs = std::filesystem;

namespace {

const char* kTwoNodes = R"(name: two
nodes:
  - {ip: 10.0.0.1, version: pre-fix}
  - {ip: 10.0.0.2, version: post-fix}
)";

// Writes Ethernet/IPv4/TCP frames into a pcap (nanosecond timestamps).
struct PcapOut {
  pcap_t* dead;
  pcap_dumper_t* d;
  explicit PcapOut(const std::string& path) {
    dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    d = pcap_dump_open(dead, path.c_str());
    REQUIRE(d != nullptr);
  }
  ~PcapOut() {
    pcap_dump_close(d);
    pcap_close(dead);
  }
  void seg(std::int64_t t_ns, const char* src, std::uint16_t sport, const char* dst,
           std::uint16_t dport, std::uint32_t seq, std::uint8_t flags,
           const std::string& payload = "") {
    std::vector<std::uint8_t> f(14 + 20 + 20 + payload.size(), 0);
    f[12] = 0x08;  // IPv4
    std::uint8_t* ip = f.data() + 14;
    ip[0] = 0x45;
    const auto total = static_cast<std::uint16_t>(40 + payload.size());
    ip[2] = static_cast<std::uint8_t>(total >> 8);
    ip[3] = static_cast<std::uint8_t>(total);
    ip[8] = 64;
    ip[9] = 6;
    inet_pton(AF_INET, src, ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    std::uint8_t* tcp = ip + 20;
    const std::uint16_t sp = htons(sport), dp = htons(dport);
    const std::uint32_t sq = htonl(seq);
    std::memcpy(tcp, &sp, 2);
    std::memcpy(tcp + 2, &dp, 2);
    std::memcpy(tcp + 4, &sq, 4);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    std::memcpy(tcp + 20, payload.data(), payload.size());
    pcap_pkthdr h{};
    h.ts.tv_sec = t_ns / 1'000'000'000;
    h.ts.tv_usec = static_cast<decltype(h.ts.tv_usec)>(t_ns % 1'000'000'000);  // ns precision
    h.caplen = h.len = static_cast<std::uint32_t>(f.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data());
  }
};

std::string query_text(sqlite3* db, const char* sql) {
  return test::scalar_text(db, sql);
}

constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kPsh = 0x08;
constexpr std::int64_t kT0 = 1'764'000'000'000'000'000;  // wall ns of the first SYN
constexpr std::int64_t kUs = 1000;
const char* kPing = "{\"Ping\":{\"nonce\":5,\"timestamp\":1766106000}}\n";  // one line, '\n' incl.

// A capture directory: dialer 127.0.0.100 (10.0.0.1, pre-fix) pings first on conn 1 and is
// closed by the listener; conn 2 (a later dial) stays open past "stop". With `model_listener`
// the listener ran as a timesim live node of a mixed run (plan.tsv says "model", its log is
// `timesim live --log-dir`'s model.log).
std::string write_capture(const real::RealPlan& plan, bool model_listener = false) {
  const fs::path dir = fs::temp_directory_path() / ("timesim_real_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "127.0.0.101");
  {
    std::ofstream p(dir / "plan.tsv");
    for (const auto& n : plan.nodes)
      p << "node " << n.index << ' ' << n.scenario_ip << ' ' << n.loopback_ip << ' ' << n.version
        << ' ' << n.commit << (model_listener ? (n.index == 1 ? " model" : " real") : "") << '\n';
    std::ofstream t(dir / "times");
    t << "engine harness\nstart " << kT0 - 1'000'000'000 << "\nstop " << kT0 + 10'000'000'000
      << '\n';
  }
  const std::string ping = kPing;
  const char *D = "127.0.0.100", *L = "127.0.0.101";
  {
    PcapOut o((dir / "lo.pcap").string());
    o.seg(kT0, D, 40001, L, 24100, 1000, kSyn);
    o.seg(kT0 + 100 * kUs, L, 24100, D, 40001, 5000, kSyn | kAck);
    o.seg(kT0 + 150 * kUs, D, 40001, L, 24100, 1001, kAck);
    o.seg(kT0 + 200 * kUs, D, 40001, L, 24100, 1001, kAck | kPsh, ping);
    o.seg(kT0 + 300 * kUs, L, 24100, D, 40001, 5001, kAck | kFin);
    o.seg(kT0 + 350 * kUs, D, 40001, L, 24100, 1001 + ping.size(), kAck | kFin);
    const std::int64_t t2 = kT0 + 5'000'000'000;
    o.seg(t2, D, 40002, L, 24100, 9000, kSyn);
    o.seg(t2 + 100 * kUs, L, 24100, D, 40002, 7000, kSyn | kAck);
    o.seg(t2 + 150 * kUs, D, 40002, L, 24100, 9001, kAck);
    o.seg(t2 + 200 * kUs, D, 40002, L, 24100, 9001, kAck | kPsh, ping);
    o.seg(t2 + 250 * kUs, D, 40002, L, 24100, 9001, kAck | kPsh, ping);  // retransmission
    o.seg(t2 + 300 * kUs, "127.0.0.1", 50000, L, 24100, 1, kSyn);        // not a node: skipped
  }
  if (model_listener) {
    std::ofstream log(dir / "127.0.0.101" / "model.log");
    log << "2025-11-24T16:00:00.000250Z  WARN timesim_live: 127.0.0.100:40001 sent message before "
           "handshake - closing connection (not blacklisting)\n";
    return dir.string();
  }
  std::ofstream log(dir / "127.0.0.101" / "listen.log");
  log << "\x1b[2m2025-11-24T16:00:00.000250Z\x1b[0m \x1b[33m WARN\x1b[0m "
         "\x1b[2mtm_net_harness\x1b[0m\x1b[2m:\x1b[0m \xe2\x9a\xa0\xef\xb8\x8f  "
         "127.0.0.100:40001 sent message before handshake - closing connection (not "
         "blacklisting)\n";
  log << "\x1b[2m2025-11-24T16:00:00.000100Z\x1b[0m  INFO tm_net_harness: New peer\n";
  return dir.string();
}

}  // namespace

TEST_CASE("real: the plan keeps the scenario's string order and dial rule on 127.0.0.1xx") {
  auto sc = ts::test::load("topologies/six_nodes.yaml");
  auto plan = real::plan_real_run(sc);
  REQUIRE(plan.ok());
  for (std::size_t a = 0; a < sc.nodes.size(); ++a)
    for (std::size_t b = 0; b < sc.nodes.size(); ++b)
      CHECK((sc.nodes[a].ip < sc.nodes[b].ip) ==
            (plan->nodes[a].loopback_ip < plan->nodes[b].loopback_ip));
  CHECK(plan->dials.size() == 15);
  for (const auto& d : plan->dials)
    CHECK(sc.nodes[d.dialer].ip < sc.nodes[d.listener].ip);
  CHECK(plan->nodes[3].loopback_ip == "127.0.0.100");  // 165.232.154.150 sorts first
  CHECK(plan->nodes[3].commit == "ea701a4");
  auto later =
      sim::parse_scenario("nodes:\n  - {ip: 10.0.0.1, version: dialer-broadcasts}\n", "f.yaml");
  REQUIRE(later.ok());
  auto refused = real::plan_real_run(*later);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("51218aa") != std::string::npos);
}

TEST_CASE("real: a harness log line gives time, kind, remote and the text from the address on") {
  auto e = real::parse_log_line(
      "\x1b[2m2025-11-24T16:00:00.000250Z\x1b[0m \x1b[33m WARN\x1b[0m tm_net_harness: "
      "\xe2\x9a\xa0\xef\xb8\x8f  127.0.0.100:40001 sent message before handshake - closing "
      "connection (not blacklisting)");
  CHECK(e.kind == "message_before_handshake");
  CHECK(e.remote == "127.0.0.100:40001");
  CHECK(e.text ==
        "127.0.0.100:40001 sent message before handshake - closing connection (not blacklisting)");
  CHECK(e.wall_ns == 1'764'000'000'000'250'000);
  CHECK(real::normalize_addresses(e.text).rfind("ADDR sent message", 0) == 0);
  CHECK(real::parse_log_line("2025-11-24T16:00:00Z  INFO x: New peer connection").kind.empty());
}

TEST_CASE("real: import-capture records the captured connections and the logged error") {
  auto sc = sim::parse_scenario(kTwoNodes, "two.yaml");
  REQUIRE(sc.ok());
  auto plan = real::plan_real_run(*sc);
  REQUIRE(plan.ok());
  const std::string dir = write_capture(*plan);
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  auto cap = real::read_capture(*plan, dir);
  REQUIRE_MESSAGE(cap.ok(), (cap.ok() ? "" : cap.error().message));
  auto st = real::import_capture(*sc, "two.yaml", *plan, *cap, **rec, "test");
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  CHECK(st->connections == 2);
  CHECK(st->outside_flows == 1);
  CHECK(st->protocol_errors == 1);
  CHECK(st->end_ns == 10'000'000'000);
  sqlite3* db = (*rec)->db();
  CHECK(query_text(db, "SELECT mode FROM runs") == "real");
  CHECK(query_text(db,
                   "SELECT t_dial_ns||' '||t_connect_ns||' '||t_accept_ns||' '||t_close_ns||' '||"
                   "close_reason||' '||closed_by||' '||pings_sent||' '||msgs_d2l||' '||"
                   "bytes_d2l||' '||protocol_errors FROM connections WHERE conn_id=1") ==
        "0 100000 150000 300000 message_before_handshake listener 1 1 " +
            std::to_string(std::string(kPing).size()) + " 1");
  CHECK(query_text(db,
                   "SELECT t_dial_ns||' '||open_at_end||' '||close_reason||' '||closed_by||' '||"
                   "pings_sent||' '||COALESCE(t_close_ns,'null') FROM connections WHERE "
                   "conn_id=2") == "5000000000 1 end_of_run none 1 null");
  CHECK(query_text(db,
                   "SELECT t_ns||' '||node||' '||peer||' '||conn_id||' '||kind FROM "
                   "protocol_errors") == "250000 1 0 1 message_before_handshake");
  auto m = real::measure_run(db, 0, true);
  REQUIRE(m.ok());
  CHECK(m->engine == "harness");
  const auto& link = m->links.at({"10.0.0.1", "10.0.0.2"});
  CHECK(link.link_class == "closed:message_before_handshake/listener");
  CHECK(link.error_texts ==
        std::set<std::string>{
            "ADDR sent message before handshake - closing connection (not blacklisting)"});
  fs::remove_all(dir);
}

TEST_CASE("real: a mixed run's model node is recorded as such, its log lines matched alike") {
  auto sc = sim::parse_scenario(kTwoNodes, "two.yaml");
  REQUIRE(sc.ok());
  auto plan = real::plan_real_run(*sc);
  REQUIRE(plan.ok());
  const std::string dir = write_capture(*plan, true);
  auto cap = real::read_capture(*plan, dir);
  REQUIRE_MESSAGE(cap.ok(), (cap.ok() ? "" : cap.error().message));
  CHECK(cap->model == std::vector<bool>{false, true});
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  auto st = real::import_capture(*sc, "two.yaml", *plan, *cap, **rec, "test");
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  CHECK(st->model_nodes == 1);
  CHECK(st->protocol_errors == 1);
  CHECK(st->unmatched_errors == 0);
  sqlite3* db = (*rec)->db();
  CHECK(query_text(db, "SELECT group_concat(detail, '|') FROM node_events WHERE kind='start'") ==
        "real harness ea701a4 on 127.0.0.100:24100|model live post-fix on 127.0.0.101:24100");
  CHECK(query_text(db, "SELECT close_reason FROM connections WHERE conn_id=1") ==
        "message_before_handshake");
  auto m = real::measure_run(db, 0, true);
  REQUIRE(m.ok());
  CHECK(m->engine == "harness");
  CHECK(m->model_ips == std::vector<std::string>{"10.0.0.2"});
  fs::remove_all(dir);
  // A plan file whose nodes are all model nodes is no real run.
  {
    const std::string all = write_capture(*plan, true);
    std::ofstream p(fs::path(all) / "plan.tsv");
    for (const auto& n : plan->nodes)
      p << "node " << n.index << ' ' << n.scenario_ip << ' ' << n.loopback_ip << ' ' << n.version
        << ' ' << n.commit << " model\n";
    p.close();
    auto none = real::read_capture(*plan, all);
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("no real node") != std::string::npos);
    fs::remove_all(all);
  }
}

TEST_CASE("real: --model-nodes marks nodes by IP or name, and refuses unknown, repeated, all") {
  auto sc = ts::test::load("topologies/six_nodes.yaml");
  auto plan = real::plan_real_run(sc);
  REQUIRE(plan.ok());
  REQUIRE(real::mark_model_nodes(*plan, sc, "165.84.215.117,178.128.199.144").ok());
  for (const auto& n : plan->nodes)
    CHECK(n.model == (n.scenario_ip == "165.84.215.117" || n.scenario_ip == "178.128.199.144"));
  for (const char* bad : {"1.2.3.4", "165.84.215.117,165.84.215.117", "", "50.28.104.50,"}) {
    auto p = real::plan_real_run(sc);
    CHECK_FALSE(real::mark_model_nodes(*p, sc, bad).ok());
  }
  auto p = real::plan_real_run(sc);
  auto all = real::mark_model_nodes(
      *p, sc,
      "50.28.104.50,64.91.241.10,165.84.215.117,165.232.154.150,178.128.199.144,69.167.168.176");
  REQUIRE_FALSE(all.ok());
  CHECK(all.error().message.find("at least one real node") != std::string::npos);
}

TEST_CASE("real: a full-node (timed) log line, millisecond stamp and no target, parses too") {
  auto e = real::parse_log_line(
      "\x1b[2m2026-12-02 01:31:33.025 [vm]\x1b[0m \x1b[33m WARN\x1b[0m \xe2\x9a\xa0\xef\xb8\x8f  "
      "127.0.0.100:39741 sent message before handshake - closing connection (not blacklisting)");
  CHECK(e.kind == "message_before_handshake");
  CHECK(e.remote == "127.0.0.100:39741");
  CHECK(e.text ==
        "127.0.0.100:39741 sent message before handshake - closing connection (not blacklisting)");
  CHECK(e.wall_ns % 1'000'000'000 == 25'000'000);
}

// tests/fixtures/realnode/six_nodes-node-engine.sql: the dump of a real run's DB
// (scripts/realnode --engine node,
// the full upstream timed at ea701a4 and 31ad283, 330 s of which 217 s after the first dial),
// imported by import-capture. The project's model must agree with it; a model whose
// reconnect delay is 4 s instead of 5 s must not.
TEST_CASE("real: fidelity against a recorded full-node run agrees, and catches a 4 s redial") {
  const fs::path db =
      fs::temp_directory_path() / ("timesim_fidelity_" + std::to_string(::getpid()) + ".db");
  fs::remove(db);
  REQUIRE(std::system(("sqlite3 '" + db.string() + "' < '" + TIMESIM_SOURCE_DIR +
                       "/tests/fixtures/realnode/six_nodes-node-engine.sql'")
                          .c_str()) == 0);
  const std::string base = std::string("'") + TIMESIM_BINARY + "' fidelity '" + TIMESIM_SOURCE_DIR +
                           "/topologies/six_nodes.yaml' --against '" + db.string() + "'";
  const std::string out =
      (fs::temp_directory_path() / ("timesim_fidelity_" + std::to_string(::getpid()) + ".out"))
          .string();
  auto run = [&](const std::string& extra) {
    const int rc = std::system((base + extra + " > '" + out + "' 2>&1").c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::pair<int, std::string>{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, text};
  };
  auto [ok_rc, ok_text] = run("");
  CHECK_MESSAGE(ok_rc == 0, ok_text);
  CHECK(ok_text.find("15 of 15 links agree") != std::string::npos);
  auto [bad_rc, bad_text] = run(" --model-override reconnect.after_close=4s");
  CHECK_MESSAGE(bad_rc == 1, bad_text);
  // The 8 cycling links redial; the 7 stable ones never do, so only those 8 can differ.
  CHECK(bad_text.find("7 of 15 links agree") != std::string::npos);
  CHECK(bad_text.find("DIFFERS (connections, redial)") != std::string::npos);
  auto [usage_rc, usage_text] = run(" --model-override reconnect.after_close=soon");
  CHECK(usage_rc == 2);
  fs::remove(out);
  fs::remove(db);
}

// tests/fixtures/realnode/six_nodes-mixed.sql: a MIXED run (scripts/realnode --model-nodes
// 165.84.215.117,178.128.199.144,69.167.168.176, 180 s): 3 real harness nodes and 3 timesim
// live nodes as their peers. The model agrees on every link; with the pre-fix dialers
// handshaking first, the 8 links they dial differ (5 from the real 165.232.154.150, 3 from the
// model 178.128.199.144, refused by real and model listeners alike).
TEST_CASE("real: fidelity against a recorded mixed run agrees, and catches handshake-first") {
  const fs::path db =
      fs::temp_directory_path() / ("timesim_mixed_" + std::to_string(::getpid()) + ".db");
  const std::string out =
      (fs::temp_directory_path() / ("timesim_mixed_" + std::to_string(::getpid()) + ".out"))
          .string();
  fs::remove(db);
  REQUIRE(std::system(("sqlite3 '" + db.string() + "' < '" + TIMESIM_SOURCE_DIR +
                       "/tests/fixtures/realnode/six_nodes-mixed.sql'")
                          .c_str()) == 0);
  const std::string base = std::string("'") + TIMESIM_BINARY + "' fidelity '" + TIMESIM_SOURCE_DIR +
                           "/topologies/six_nodes.yaml' --against '" + db.string() + "'";
  auto run = [&](const std::string& extra) {
    const int rc = std::system((base + extra + " > '" + out + "' 2>&1").c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::pair<int, std::string>{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, text};
  };
  auto [ok_rc, ok_text] = run("");
  CHECK_MESSAGE(ok_rc == 0, ok_text);
  CHECK(ok_text.find("mixed real run: 165.84.215.117, 178.128.199.144, 69.167.168.176 ran as "
                     "timesim live nodes") != std::string::npos);
  CHECK(ok_text.find("15 of 15 links agree") != std::string::npos);
  auto [bad_rc, bad_text] = run(" --model-override handshake.first=true");
  CHECK_MESSAGE(bad_rc == 1, bad_text);
  CHECK(bad_text.find("7 of 15 links agree") != std::string::npos);
  for (const char* link :
       {"165.232.154.150 -> 165.84.215.117", "178.128.199.144 -> 50.28.104.50"}) {
    const auto at = bad_text.find(link);
    REQUIRE(at != std::string::npos);
    CHECK(bad_text.substr(at, bad_text.find('\n', at) - at).find("DIFFERS (class") !=
          std::string::npos);
  }
  fs::remove(out);
  fs::remove(db);
}
