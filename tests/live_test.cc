// Live mode: real loopback sockets. A peer written outside node_core (a raw POSIX socket in
// this test) talks NDJSON to a live node; and a short driver-equivalence check of sim vs live.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "live/live_world.h"
#include "test_util.h"

using namespace ts;

namespace {

const char* kOneNode = R"(nodes:
  - {ip: 10.0.0.1, version: post-fix}
  - {ip: 10.0.0.2, version: post-fix, start: 1h}
)";

// A raw TCP client: connect, write, and read what arrived, with the LiveWorld pumped in
// between (one thread: the node only runs while the test lets its loop run).
struct RawPeer {
  int fd = -1;
  RawPeer(const std::string& ip, int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~RawPeer() { ::close(fd); }
  void write(const std::string& s) {
    REQUIRE(::send(fd, s.data(), s.size(), 0) == static_cast<ssize_t>(s.size()));
  }
  // Whatever is readable now; sets `eof` when the node closed the connection.
  std::string read_available(bool& eof) {
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) eof = true;
      break;
    }
    return out;
  }
};

}  // namespace

TEST_CASE("live: a raw peer that pings first gets the incident's error line and a closed socket") {
  auto sc = sim::parse_scenario(kOneNode, "raw.yaml");
  REQUIRE(sc.ok());
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  REQUIRE((*rec)->begin_run(sim::RunInfo{}).ok());
  live::LiveWorld w(*sc, 1, rec->get(), 0.01);
  REQUIRE(w.run_until(seconds(1)).ok());  // node 0 is up and listening
  CHECK(w.listen_ip(0) == "127.0.0.2");
  RawPeer peer(w.listen_ip(0), w.listen_port(0));
  peer.write("{\"Ping\":{\"nonce\":7,\"timestamp\":1766106000}}\n");
  bool eof = false;
  std::string got;
  for (int i = 0; i < 200 && !eof; ++i) {
    REQUIRE(w.run_until(seconds(1) + seconds(i + 1)).ok());
    got += peer.read_available(eof);
  }
  CHECK(eof);          // the node closed the connection
  CHECK(got.empty());  // and sent nothing: no Pong, no Ack
  auto stats = w.finish();
  REQUIRE(stats.ok());
  test::Run r{std::move(*rec), *stats};
  const auto rows = r.rows("SELECT kind, text FROM protocol_errors");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == "message_before_handshake");
  CHECK(rows[0][1].find("127.0.0.1:") == 0);  // the real remote address and port
  CHECK(rows[0][1].find(" sent message before handshake - closing connection (not blacklisting)") !=
        std::string::npos);
}

TEST_CASE("live: a raw peer that handshakes first gets Ack then GetPeers, and Pong for its Ping") {
  auto sc = sim::parse_scenario(kOneNode, "raw.yaml");
  REQUIRE(sc.ok());
  live::LiveWorld w(*sc, 1, nullptr, 0.01);
  REQUIRE(w.run_until(seconds(1)).ok());
  RawPeer peer(w.listen_ip(0), w.listen_port(0));
  peer.write(
      "{\"Handshake\":{\"magic\":[84,73,77,69],\"protocol_version\":1,\"network\":\"testnet\"}}\n");
  bool eof = false;
  std::string got;
  for (int i = 0; i < 200 && got.size() < 50; ++i) {
    REQUIRE(w.run_until(seconds(1) + seconds(i + 1)).ok());
    got += peer.read_available(eof);
  }
  CHECK_FALSE(eof);
  CHECK(got == "{\"Ack\":{\"message_type\":\"Handshake\"}}\n\"GetPeers\"\n");
  peer.write("{\"Ping\":{\"nonce\":99,\"timestamp\":1}}\n");
  got.clear();
  for (int i = 0; i < 200 && got.find('\n') == std::string::npos; ++i) {
    REQUIRE(w.run_until(seconds(300) + seconds(i + 1)).ok());
    got += peer.read_available(eof);
  }
  CHECK(got.rfind("{\"Pong\":{\"nonce\":99,\"timestamp\":", 0) == 0);
  REQUIRE(w.finish().ok());
}

TEST_CASE("live: only loopback addresses, and faults live mode cannot run are refused") {
  CHECK(live::loopback_ip(0) == "127.0.0.2");
  CHECK(live::loopback_ip(249) == "127.0.0.251");
  CHECK(live::loopback_ip(250) == "127.0.1.2");
  CHECK(live::is_loopback(live::loopback_ip(60000)));
  auto sc = sim::parse_scenario(
      std::string(kOneNode) + "faults:\n  - {kind: crash, at: 1m, node: 10.0.0.1}\n", "f.yaml");
  REQUIRE(sc.ok());
  auto ok = live::check_live_scenario(*sc);
  REQUIRE_FALSE(ok.ok());
  CHECK(ok.error().message.find("'crash'") != std::string::npos);
}

TEST_CASE("live: driver equivalence - the mixed six-node incident, sim and live agree per link") {
  const std::string cmd =
      std::string("'") + TIMESIM_BINARY + "' equivalence '" + TIMESIM_SOURCE_DIR +
      "/topologies/six_nodes.yaml' --time-scale 0.05 --duration 2m > /dev/null 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("live: --port-base fixes node i's port at base + i, and announces each listener") {
  auto sc = sim::parse_scenario(kOneNode, "ports.yaml");
  REQUIRE(sc.ok());
  CHECK(*live::parse_port_base("0", 2) == 0);
  CHECK(*live::parse_port_base("1024", 2) == 1024);
  CHECK(*live::parse_port_base("65534", 2) == 65534);
  CHECK_FALSE(live::parse_port_base("65535", 2).ok());  // node 1 would need 65536
  CHECK_FALSE(live::parse_port_base("1023", 2).ok());
  CHECK_FALSE(live::parse_port_base("-5", 2).ok());
  CHECK_FALSE(live::parse_port_base("12x", 2).ok());
  CHECK_FALSE(live::parse_port_base("", 2).ok());
  const int base = 20000 + static_cast<int>(::getpid() % 20000);  // apart from parallel runs
  live::LiveWorld w(*sc, 1, nullptr, 0.01, base);
  std::vector<std::pair<std::uint32_t, int>> seen;
  w.on_listen = [&](std::uint32_t i, const std::string& ip, int port) {
    CHECK(ip == live::loopback_ip(i));
    seen.emplace_back(i, port);
  };
  REQUIRE(w.run_until(seconds(1)).ok());  // node 0 listens; node 1 starts at 1h
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::pair<std::uint32_t, int>{0, base});
  CHECK(w.listen_port(0) == base);
  RawPeer peer("127.0.0.2", base);  // something really listens there
  REQUIRE(w.finish().ok());
}

TEST_CASE(
    "live: --clock host stamps a late-dispatched event with the host's time, virtual with its due "
    "time") {
  // Node 1 starts at 10 s of protocol time; the host is made to reach that event ~30 s late
  // (300 ms of real time asleep at scale 0.01).
  auto sc = sim::parse_scenario(
      "nodes:\n  - {ip: 10.0.0.1, version: post-fix}\n  - {ip: 10.0.0.2, version: post-fix, "
      "start: 10s}\n",
      "clock.yaml");
  REQUIRE(sc.ok());
  auto start_of_node1 = [&](bool host) {
    auto rec = sim::Recorder::open(":memory:");
    REQUIRE(rec.ok());
    REQUIRE((*rec)->begin_run(sim::RunInfo{}).ok());
    live::LiveWorld w(*sc, 1, rec->get(), 0.01);
    w.set_host_clock(host);
    REQUIRE(w.run_until(seconds(5)).ok());
    ::usleep(300'000);
    REQUIRE(w.run_until(seconds(60)).ok());
    REQUIRE(w.finish().ok());
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2((*rec)->db(),
                               "SELECT t_ns FROM node_events WHERE node=1 AND kind='start'", -1, &s,
                               nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const std::int64_t t = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return t;
  };
  CHECK(start_of_node1(false) == seconds(10));
  CHECK(start_of_node1(true) >= seconds(35));
}
