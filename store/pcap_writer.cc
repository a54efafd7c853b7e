#include "store/pcap_writer.h"

#include "common/file_marks.h"

#include <cerrno>
#include <cstring>

namespace ts::sim {
namespace {

std::uint32_t parse_ipv4(const std::string& s, std::uint32_t fallback) {
  std::uint32_t out = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return fallback;
    std::uint32_t v = 0;
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4)
      v = v * 10 + static_cast<std::uint32_t>(s[i++] - '0'), ++digits;
    if (v > 255) return fallback;
    out = (out << 8) | v;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return fallback;
      ++i;
    }
  }
  return i == s.size() ? out : fallback;
}

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Internet checksum over `data`, starting from `sum`.
std::uint16_t checksum(const std::uint8_t* data, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (n & 1) sum += static_cast<std::uint32_t>(data[n - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint32_t isn(std::uint32_t serial, int dir) {
  std::uint64_t x =
      (std::uint64_t{serial} << 1 | static_cast<std::uint64_t>(dir)) + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>(x ^ (x >> 31));
}

}  // namespace

Result<std::unique_ptr<PcapWriter>> PcapWriter::open(const std::string& path,
                                                     const Scenario& scenario) {
  auto file = AtomicFile::create(path);
  if (!file) return Error{"pcap: " + file.error().message};
  std::FILE* f = (*file)->file();
  std::unique_ptr<PcapWriter> w(new PcapWriter(std::move(*file), scenario));
  const auto& hdr = kPcapHeader;  // magic ns, 2.4, snaplen 65535, LINKTYPE_RAW
  if (std::fwrite(hdr.data(), 1, hdr.size(), f) != hdr.size())
    return Error{"cannot write pcap '" + path + "'"};
  return w;
}

PcapWriter::PcapWriter(std::unique_ptr<AtomicFile> file, const Scenario& sc)
    : file_(std::move(file)), f_(file_->file()), sc_(sc) {
  for (std::size_t i = 0; i < sc.nodes.size(); ++i)
    node_ip_.push_back(parse_ipv4(sc.nodes[i].ip, 0x0a000000u | static_cast<std::uint32_t>(i + 1)));
  buf_.reserve(2048);
}

PcapWriter::~PcapWriter() = default;  // not closed: the temporary file is removed

Result<bool> PcapWriter::close() {
  if (!file_) return true;
  auto file = std::move(file_);
  f_ = nullptr;
  if (error_) return Error{"writing the pcap failed"};
  return file->commit();
}

void PcapWriter::packet(SimTime t_ns, const Conn& c, int dir, std::uint32_t seq, std::uint32_t ack,
                        std::uint8_t flags, std::string_view payload) {
  buf_.clear();
  const std::uint32_t src = c.ip[dir], dst = c.ip[1 - dir];
  const auto total = static_cast<std::uint16_t>(20 + 20 + payload.size());
  // IPv4
  buf_.push_back(0x45);
  buf_.push_back(0);
  put16(buf_, total);
  put16(buf_, ip_id_++);
  put16(buf_, 0x4000);  // don't fragment
  buf_.push_back(64);   // TTL
  buf_.push_back(6);    // TCP
  put16(buf_, 0);       // checksum, below
  put32(buf_, src);
  put32(buf_, dst);
  const std::uint16_t ip_sum = checksum(buf_.data(), 20);
  buf_[10] = static_cast<std::uint8_t>(ip_sum >> 8);
  buf_[11] = static_cast<std::uint8_t>(ip_sum);
  // TCP
  put16(buf_, c.port[dir]);
  put16(buf_, c.port[1 - dir]);
  put32(buf_, seq);
  put32(buf_, (flags & kAck) ? ack : 0);
  buf_.push_back(5 << 4);  // data offset: 20 bytes
  buf_.push_back(flags);
  put16(buf_, 65535);  // window
  put16(buf_, 0);      // checksum, below
  put16(buf_, 0);      // urgent
  buf_.insert(buf_.end(), payload.begin(), payload.end());
  const std::size_t tcp_len = 20 + payload.size();
  std::uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 +
                         static_cast<std::uint32_t>(tcp_len);
  const std::uint16_t tcp_sum = checksum(buf_.data() + 20, tcp_len, pseudo);
  buf_[36] = static_cast<std::uint8_t>(tcp_sum >> 8);
  buf_[37] = static_cast<std::uint8_t>(tcp_sum);
  // Record header.
  const std::int64_t abs_ns = sc_.epoch_unix_s * std::int64_t{1000000000} + t_ns;
  std::uint8_t rec[16];
  le32(rec, static_cast<std::uint32_t>(abs_ns / 1000000000));
  le32(rec + 4, static_cast<std::uint32_t>(abs_ns % 1000000000));
  le32(rec + 8, static_cast<std::uint32_t>(buf_.size()));
  le32(rec + 12, static_cast<std::uint32_t>(buf_.size()));
  if (std::fwrite(rec, 1, sizeof rec, f_) != sizeof rec ||
      std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
    error_ = true;
  ++packets_;
}

void PcapWriter::on_syn(SimTime t_ns, std::uint32_t serial, std::uint32_t dialer,
                        std::uint32_t listener, std::uint16_t dialer_port) {
  if (!f_ || dialer >= node_ip_.size() || listener >= node_ip_.size()) return;
  Conn c;
  c.ip[0] = node_ip_[dialer];
  c.ip[1] = node_ip_[listener];
  c.port[0] = dialer_port;
  c.port[1] = kListenPort;
  c.next_seq[0] = isn(serial, 0);
  c.next_seq[1] = isn(serial, 1);
  packet(t_ns, c, 0, c.next_seq[0]++, 0, kSyn, {});
  c.open[0] = true;
  conns_[serial] = c;
}

void PcapWriter::on_syn_reply(SimTime t_ns, std::uint32_t serial, bool accepted) {
  auto it = conns_.find(serial);
  if (!f_ || it == conns_.end()) return;
  Conn& c = it->second;
  if (accepted) {
    if (c.open[1]) return;  // a retransmitted SYN's answer: already recorded
    packet(t_ns, c, 1, c.next_seq[1]++, c.next_seq[0], kSyn | kAck, {});
    c.open[1] = true;
  } else {
    packet(t_ns, c, 1, 0, c.next_seq[0], kRst | kAck, {});
    conns_.erase(it);
  }
}

void PcapWriter::on_segment(SimTime t_ns, std::uint32_t serial, int dir, std::string_view bytes,
                            bool fin, bool ack_only) {
  auto it = conns_.find(serial);
  if (!f_ || it == conns_.end()) return;
  Conn& c = it->second;
  const int other = 1 - dir;
  if (ack_only || (bytes.empty() && !fin)) {
    packet(t_ns, c, dir, c.next_seq[dir], c.next_seq[other], kAck, {});
    return;
  }
  for (std::size_t off = 0; off < bytes.size(); off += kMss) {
    const auto part = bytes.substr(off, kMss);
    packet(t_ns, c, dir, c.next_seq[dir], c.next_seq[other], kPsh | kAck, part);
    c.next_seq[dir] += static_cast<std::uint32_t>(part.size());
  }
  if (fin) packet(t_ns, c, dir, c.next_seq[dir]++, c.next_seq[other], kFin | kAck, {});
}

void PcapWriter::on_rst(SimTime t_ns, std::uint32_t serial, int dir) {
  auto it = conns_.find(serial);
  if (!f_ || it == conns_.end()) return;
  Conn& c = it->second;
  packet(t_ns, c, dir, c.next_seq[dir], c.next_seq[1 - dir], kRst | kAck, {});
}

}  // namespace ts::sim
