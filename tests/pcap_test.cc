// `timesim run --pcap`: synthesized IPv4/TCP packets of the simulated streams. The file is
// parsed here (headers, checksums, sequence continuity); tshark reads and follows it when
// installed.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>

#include "tests/run_cli.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace ts;

namespace {

std::uint32_t le32(const std::string& b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = v << 8 | static_cast<std::uint8_t>(b[at + static_cast<std::size_t>(i)]);
  return v;
}
std::uint32_t be(const std::string& b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = 0; i < n; ++i)
    v = v << 8 | static_cast<std::uint8_t>(b[at + static_cast<std::size_t>(i)]);
  return v;
}
std::uint16_t sum16(const std::string& b, std::size_t at, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += be(b, at + i, 2);
  if (n & 1) sum += static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + n - 1])) << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

struct PcapStats {
  std::size_t packets = 0, syn = 0, synack = 0, fin = 0, rst = 0, data = 0;
  std::size_t bad_checksums = 0, seq_gaps = 0;
  std::uint64_t last_ts_ns = 0;
  bool time_ordered = true;
  std::string payload;  // every data byte, in file order
};

PcapStats parse(const std::string& f) {
  PcapStats s;
  REQUIRE(f.size() >= 24);
  REQUIRE(le32(f, 0) == 0xa1b23c4d);
  REQUIRE(le32(f, 20) == 101);
  // Next expected seq per flow (src ip, dst ip, src port, dst port).
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>, std::uint32_t>
      next;
  for (std::size_t at = 24; at < f.size();) {
    REQUIRE(at + 16 <= f.size());
    const std::uint64_t ts = std::uint64_t{le32(f, at)} * 1000000000 + le32(f, at + 4);
    s.time_ordered = s.time_ordered && ts >= s.last_ts_ns;
    s.last_ts_ns = ts;
    const std::size_t len = le32(f, at + 8);
    const std::size_t p = at + 16;
    REQUIRE(p + len <= f.size());
    REQUIRE(len >= 40);
    ++s.packets;
    CHECK(static_cast<std::uint8_t>(f[p]) == 0x45);
    CHECK(be(f, p + 2, 2) == len);
    CHECK(static_cast<std::uint8_t>(f[p + 9]) == 6);
    if (sum16(f, p, 20) != 0xffff) ++s.bad_checksums;
    const std::uint32_t src = be(f, p + 12, 4), dst = be(f, p + 16, 4);
    const std::size_t tcp = p + 20, tcp_len = len - 20;
    const std::uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 +
                                 static_cast<std::uint32_t>(tcp_len);
    if (sum16(f, tcp, tcp_len, pseudo) != 0xffff) ++s.bad_checksums;
    const std::uint32_t sport = be(f, tcp, 2), dport = be(f, tcp + 2, 2), seq = be(f, tcp + 4, 4);
    const auto flags = static_cast<std::uint8_t>(f[tcp + 13]);
    const std::size_t plen = tcp_len - 20;
    const auto key = std::make_tuple(src, dst, sport, dport);
    const bool syn = flags & 0x02, fin = flags & 0x01, rst = flags & 0x04;
    if (syn) {
      (flags & 0x10 ? s.synack : s.syn)++;
      next[key] = seq + 1;
    } else if (rst) {
      ++s.rst;
    } else {
      auto it = next.find(key);
      if (it == next.end() || it->second != seq) ++s.seq_gaps;
      next[key] = seq + static_cast<std::uint32_t>(plen) + (fin ? 1 : 0);
      if (fin) ++s.fin;
      if (plen) {
        ++s.data;
        s.payload.append(f, tcp + 20, plen);
      }
    }
    at = p + len;
  }
  return s;
}

}  // namespace

TEST_CASE("pcap: valid IPv4/TCP packets with continuous sequence numbers - deterministic") {
  const auto dir = test::fresh_dir("pcap");
  // Node c starts late: dials to it are refused (RST) until then; a reset fault adds RSTs.
  std::ofstream(dir / "s.yaml") << "name: pcap_test\nduration: 3m\n"
                                   "nodes:\n"
                                   "  - {name: a, ip: 10.0.0.1, version: post-fix}\n"
                                   "  - {name: b, ip: 10.0.0.2, version: pre-fix}\n"
                                   "  - {name: c, ip: 10.0.0.3, version: post-fix, start: 20s}\n"
                                   "faults:\n"
                                   "  - {kind: reset, at: 90s}\n";
  auto o = test::timesim("run s.yaml --seed 3 --db a.db --pcap a.pcap -q", dir);
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  const std::string file = test::slurp(dir / "a.pcap");
  const auto s = parse(file);
  CHECK(s.packets > 50);
  CHECK(s.bad_checksums == 0);
  CHECK(s.seq_gaps == 0);
  CHECK(s.time_ordered);
  CHECK(s.syn > 0);
  CHECK(s.synack > 0);
  CHECK(s.fin > 0);
  CHECK(s.rst > 0);
  CHECK(s.payload.find("{\"Handshake\":") != std::string::npos);
  CHECK(s.payload.find("{\"Ping\":") != std::string::npos);
  // One SYN per dial recorded in the DB.
  REQUIRE(test::timesim("run s.yaml --seed 3 --db b.db --pcap b.pcap -q", dir).exit_code == 0);
  CHECK(test::slurp(dir / "b.pcap") == file);  // same seed, same bytes
  const std::string cmd = "sqlite3 '" + (dir / "a.db").string() +
                          "' 'SELECT count(*) FROM connections' > '" + (dir / "n.txt").string() +
                          "'";
  if (std::system(cmd.c_str()) == 0) CHECK(std::stoul(test::slurp(dir / "n.txt")) == s.syn);
  // Bad path: exit 2.
  CHECK(test::timesim("run s.yaml --db c.db --pcap no/such/dir/x.pcap -q", dir).exit_code == 2);
}

TEST_CASE("pcap: tshark reads the file and follows a stream (skipped without tshark)") {
  if (!test::have_program("tshark")) {
    MESSAGE("SKIPPED: tshark is not installed (apt-get install tshark)");
    return;
  }
  const auto dir = test::fresh_dir("pcap_tshark");
  auto o = test::timesim("run '" + test::source_path("topologies/six_nodes.yaml") +
                             "' --duration 2m --db t.db --pcap t.pcap -q",
                         dir);
  REQUIRE(o.exit_code == 0);
  auto sh = [&](const std::string& args, const std::string& out) {
    const std::string cmd =
        "cd '" + dir.string() + "' && tshark -r t.pcap " + args + " >'" + out + "' 2>/dev/null";
    return std::system(cmd.c_str());
  };
  REQUIRE(sh("", "all.txt") == 0);
  const std::string all = test::slurp(dir / "all.txt");
  CHECK(all.find("[SYN]") != std::string::npos);
  CHECK(all.find("[SYN, ACK]") != std::string::npos);
  CHECK(all.find("[FIN, ACK]") != std::string::npos);
  REQUIRE(sh("-q -z follow,tcp,ascii,0", "follow.txt") == 0);
  const std::string follow = test::slurp(dir / "follow.txt");
  CHECK(follow.find("{\"Handshake\":") != std::string::npos);
  CHECK(follow.find("{\"Pong\":") != std::string::npos);
  // tshark's TCP analysis finds nothing wrong (no lost segments, bad ACKs, retransmissions),
  // and the checksums verify.
  REQUIRE(sh("-Y tcp.analysis.flags", "flags.txt") == 0);
  CHECK(test::slurp(dir / "flags.txt").empty());
  REQUIRE(sh("-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -Y 'tcp.checksum.status==0 || "
             "ip.checksum.status==0'",
             "sums.txt") == 0);
  CHECK(test::slurp(dir / "sums.txt").empty());
}
