// Live mode: real loopback sockets. A peer written outside node_core (a raw POSIX socket in
// this test) talks NDJSON to a live node; and a short driver-equivalence check of sim vs live.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "live/live_world.h"
#include "real/node_log.h"
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
    auto s =
        test::query((*rec)->db(), "SELECT t_ns FROM node_events WHERE node=1 AND kind='start'");
    REQUIRE(s.next());
    return s.int64(0);
  };
  CHECK(start_of_node1(false) == seconds(10));
  CHECK(start_of_node1(true) >= seconds(35));
}

namespace {
// A raw listening socket standing in for a real node outside the LiveWorld.
struct RawListener {
  int fd = -1;
  int port = 0;
  explicit RawListener(const std::string& ip) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~RawListener() { ::close(fd); }
  // An accepted connection (and the dialer's address), or -1 when none is waiting.
  int accept(std::string& from) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    const int c = ::accept4(fd, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK);
    if (c >= 0) {
      char buf[32];
      ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
      from = buf;
    }
    return c;
  }
};

// A raw client bound to `from` (a real node's own address), connected to ip:port.
int dial_from(const std::string& from, const std::string& ip, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in src{}, dst{};
  src.sin_family = dst.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  ::inet_pton(AF_INET, ip.c_str(), &dst.sin_addr);
  dst.sin_port = htons(static_cast<std::uint16_t>(port));
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) == 0);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0);
  return fd;
}
}  // namespace

// Mixed runs: node 0 (10.0.0.1) runs here at 127.0.0.151; nodes 1 (10.0.0.0, dials node 0 by
// the string-order rule) and 2 (10.0.0.2, dialled by node 0) are "real" nodes outside, at
// 127.0.0.150 and 127.0.0.152: raw sockets here. Nodes 3 (pre-fix) and 4 run here too: node 4
// knows node 3 by its wire address, as a real listener would log it.
TEST_CASE("live: mixed run - a model node dials an outside node at its address, and is dialled") {
  auto sc = sim::parse_scenario(R"(nodes:
  - {ip: 10.0.0.1, version: post-fix}
  - {ip: 10.0.0.0, version: pre-fix}
  - {ip: 10.0.0.2, version: post-fix}
  - {ip: 10.0.0.3, version: pre-fix}
  - {ip: 10.0.0.4, version: post-fix}
)",
                                "mixed.yaml");
  REQUIRE(sc.ok());
  RawListener real2("127.0.0.152");
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  REQUIRE((*rec)->begin_run(sim::RunInfo{}).ok());
  live::LiveWorld w(*sc, 1, rec->get(), 0.01);
  CHECK_FALSE(w.set_addresses({{"127.0.0.151", 0, true}}).ok());  // one per node
  const live::NodeAddress n3{"127.0.0.153", 0, true}, n4{"127.0.0.154", 0, true};
  CHECK_FALSE(w.set_addresses({{"127.0.0.151", 0, true},
                               {"127.0.0.150", 0, false},  // outside: needs its port
                               {"127.0.0.152", real2.port, false},
                               n3,
                               n4})
                  .ok());
  CHECK_FALSE(w.set_addresses({{"10.0.0.1", 0, true},  // not loopback
                               {"127.0.0.150", 24100, false},
                               {"127.0.0.152", real2.port, false},
                               n3,
                               n4})
                  .ok());
  CHECK_FALSE(w.set_addresses({{"127.0.0.151", 0, true},
                               {"127.0.0.150", 24100, false},
                               {"127.0.0.152", real2.port, false},
                               n3,
                               n3})  // shared
                  .ok());
  REQUIRE(w.set_addresses({{"127.0.0.151", 0, true},
                           {"127.0.0.150", 24100, false},
                           {"127.0.0.152", real2.port, false},
                           n3,
                           n4})
              .ok());
  std::vector<std::string> errors;
  w.on_protocol_error = [&](std::uint32_t n, const std::string& text) {
    errors.push_back(std::to_string(n) + " " + text);
  };
  std::vector<std::uint32_t> listening;
  w.on_listen = [&](std::uint32_t i, const std::string&, int) { listening.push_back(i); };
  REQUIRE(w.run_until(seconds(1)).ok());
  CHECK(listening == std::vector<std::uint32_t>{0, 3, 4});  // only the model nodes run here
  CHECK(w.listen_ip(0) == "127.0.0.151");
  // Node 0 dials node 2 at its address, from its own, and handshakes first (post-fix).
  std::string from, got;
  int c = -1;
  for (int i = 0; i < 300 && c < 0; ++i) {
    REQUIRE(w.run_until(seconds(1) + seconds(i + 1)).ok());
    c = real2.accept(from);
  }
  REQUIRE(c >= 0);
  CHECK(from == "127.0.0.151");
  for (int i = 0; i < 300 && got.find('\n') == std::string::npos; ++i) {
    REQUIRE(w.run_until(seconds(400) + seconds(i + 1)).ok());
    char buf[512];
    const ssize_t n = ::recv(c, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
  }
  CHECK(got.rfind("{\"Handshake\":", 0) == 0);
  // Node 1 (pre-fix) dials node 0 from its own address and pings first: node 0 knows it by
  // that address and logs the incident's line naming it.
  const int d = dial_from("127.0.0.150", "127.0.0.151", w.listen_port(0));
  const std::string ping = "{\"Ping\":{\"nonce\":7,\"timestamp\":1766106000}}\n";
  REQUIRE(::send(d, ping.data(), ping.size(), 0) == static_cast<ssize_t>(ping.size()));
  auto of_node = [&](const char* prefix) {
    for (const auto& e : errors)
      if (e.rfind(prefix, 0) == 0) return e;
    return std::string();
  };
  for (int i = 0; i < 300 && of_node("0 ").empty(); ++i)
    REQUIRE(w.run_until(seconds(800) + seconds(i + 1)).ok());
  CHECK(of_node("0 ").rfind("0 127.0.0.150:", 0) == 0);
  CHECK(of_node("0 ").find(" sent message before handshake - closing connection (not "
                           "blacklisting)") != std::string::npos);
  CHECK(of_node("4 ").rfind("4 127.0.0.153:", 0) == 0);  // not 10.0.0.3
  auto stats = w.finish();
  REQUIRE(stats.ok());
  ::close(c);
  ::close(d);
  test::Run r{std::move(*rec), *stats};
  // Both connections are recorded with the outside node as dialer or listener.
  // (node 0 redials node 2 after each pong timeout: the raw socket never answers pings)
  const auto rows = r.rows(
      "SELECT dialer, listener, dialer_version, count(*) FROM connections WHERE 1 IN (dialer, "
      "listener) OR 2 IN (dialer, listener) GROUP BY dialer, listener ORDER BY dialer");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][0] + rows[0][1] + rows[0][2] == "02post-fix");
  CHECK(rows[1] == std::vector<std::string>{"1", "0", "pre-fix", "1"});
  const auto closed = r.rows("SELECT close_reason FROM connections WHERE dialer=1");
  REQUIRE(closed.size() == 1);
  CHECK(closed[0][0] == "message_before_handshake");
}

// `timesim live --model-nodes --log-dir`: the model nodes bind their real-node plan addresses
// (127.0.0.102 and .105 for these two) on port 24100, and a model node's protocol-error line
// lands in DIR/<address>/model.log in the real node's format, stamped with the wall clock (to
// the microsecond: import-capture matches it with tcpdump's SYN times). The four real nodes
// are absent here: the model nodes' dials to them are refused.
TEST_CASE("live: --model-nodes --log-dir writes the model nodes' lines as a real node logs them") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("timesim_mixed_log_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto before = std::chrono::system_clock::now();
  const std::string cmd =
      std::string("'") + TIMESIM_BINARY + "' live '" + TIMESIM_SOURCE_DIR +
      "/topologies/six_nodes.yaml' --model-nodes 178.128.199.144,69.167.168.176 "
      "--no-consensus --duration 3s --log-dir '" +
      dir.string() + "' --db '" + (dir / "m.db").string() + "' -q > '" + (dir / "out").string() +
      "' 2>&1";
  std::filesystem::create_directories(dir);
  CHECK(std::system(cmd.c_str()) == 0);
  const auto after = std::chrono::system_clock::now();
  auto lines = real::read_log_errors((dir / "127.0.0.105" / "model.log").string());
  REQUIRE(lines.ok());
  REQUIRE_FALSE(lines->empty());
  const auto& e = lines->front();
  CHECK(e.kind == "message_before_handshake");
  CHECK(e.remote.rfind("127.0.0.102:", 0) == 0);  // the pre-fix dialer's wire address
  const auto ns = [](auto t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  };
  CHECK(e.wall_ns >= ns(before) - 1000);  // microsecond stamps
  CHECK(e.wall_ns <= ns(after));
  CHECK(e.wall_ns % 1'000'000'000 != 0);
  CHECK(std::filesystem::exists(dir / "127.0.0.102" / "model.log"));
  CHECK_FALSE(std::filesystem::exists(dir / "127.0.0.100"));  // a real node: no model log
  std::filesystem::remove_all(dir);
}
