#include "real/pcap_tcp.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cstring>
#include <map>
#include <memory>
#include <tuple>

namespace ts::real {
namespace {

struct Direction {
  bool have_isn = false;
  std::uint32_t next_seq = 0;                      // next stream byte expected
  std::map<std::uint32_t, TcpChunk> out_of_order;  // by sequence number (short runs: no wrap)
};

struct FlowState {
  TcpFlow flow;
  Direction dir[2];
};

using Key = std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>;

// Unaligned loads (frames carry no alignment guarantee): bytes as they are, network order.
std::uint32_t load32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
std::uint16_t load16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string quad(std::uint32_t be_addr) {
  char b[INET_ADDRSTRLEN] = {};
  in_addr a{};
  a.s_addr = be_addr;
  inet_ntop(AF_INET, &a, b, sizeof b);
  return b;
}

// Offset of the IPv4 header in a frame of `linktype`, or -1 when the frame is not IPv4.
int ip_offset(int linktype, const std::uint8_t* p, std::uint32_t caplen) {
  auto be16 = [&](std::uint32_t at) { return static_cast<unsigned>(p[at] << 8 | p[at + 1]); };
  switch (linktype) {
    case DLT_EN10MB:
      return caplen >= 14 && be16(12) == 0x0800 ? 14 : -1;
    case DLT_LINUX_SLL:
      return caplen >= 16 && be16(14) == 0x0800 ? 16 : -1;
    case DLT_LINUX_SLL2:
      return caplen >= 20 && be16(0) == 0x0800 ? 20 : -1;
    case DLT_RAW:
      return caplen >= 1 && (p[0] >> 4) == 4 ? 0 : -1;
    case DLT_NULL:
      return caplen >= 4 && (p[0] == 2 || p[3] == 2) ? 4 : -1;
    default:
      return -1;
  }
}

// Appends `chunk` at sequence number `seq` to direction `d`, in stream order.
void add_payload(FlowState& f, int d, std::uint32_t seq, TcpChunk chunk) {
  Direction& dir = f.dir[d];
  auto flush = [&] {
    for (auto it = dir.out_of_order.begin(); it != dir.out_of_order.end();) {
      const std::uint32_t at = it->first;
      if (static_cast<std::int32_t>(at - dir.next_seq) > 0) break;
      TcpChunk c = std::move(it->second);
      it = dir.out_of_order.erase(it);
      const std::uint32_t skip = dir.next_seq - at;  // already delivered bytes
      if (skip >= c.bytes.size()) continue;
      c.bytes.erase(0, skip);
      dir.next_seq += static_cast<std::uint32_t>(c.bytes.size());
      f.flow.data[d].push_back(std::move(c));
    }
  };
  if (static_cast<std::int32_t>(seq + static_cast<std::uint32_t>(chunk.bytes.size()) -
                                dir.next_seq) <= 0)
    return;  // a retransmission of delivered bytes
  dir.out_of_order.emplace(seq, std::move(chunk));
  flush();
}

struct Reader {
  std::uint16_t port;
  std::map<Key, std::size_t> live;  // 4-tuple (client first) -> index in states
  std::vector<std::unique_ptr<FlowState>> states;

  void segment(std::int64_t t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
               std::uint16_t dport, const std::uint8_t* tcp, std::uint32_t tcp_len,
               std::uint32_t payload_len, bool truncated) {
    const std::uint32_t seq = ntohl(load32(tcp + 4));
    const std::uint8_t flags = tcp[13];
    const bool syn = flags & 0x02, ack = flags & 0x10, fin = flags & 0x01, rst = flags & 0x04;
    const Key fwd{src, sport, dst, dport}, rev{dst, dport, src, sport};
    if (syn && !ack) {  // a client opens (or retransmits its SYN)
      auto it = live.find(fwd);
      if (it != live.end()) {
        const TcpFlow& old = states[it->second]->flow;
        const bool used = !old.data[0].empty() || !old.data[1].empty() || old.t_fin[0] != kNoTime ||
                          old.t_fin[1] != kNoTime || old.t_rst[0] != kNoTime ||
                          old.t_rst[1] != kNoTime;
        if (!used) return;  // SYN retransmission
      }
      auto st = std::make_unique<FlowState>();
      st->flow.client_ip = quad(src);
      st->flow.server_ip = quad(dst);
      st->flow.client_port = ntohs(sport);
      st->flow.server_port = ntohs(dport);
      st->flow.t_syn = t;
      st->dir[0].have_isn = true;
      st->dir[0].next_seq = seq + 1;
      live[fwd] = states.size();
      states.push_back(std::move(st));
      return;
    }
    int d = 0;
    auto it = live.find(fwd);
    if (it == live.end()) {
      it = live.find(rev);
      d = 1;
    }
    if (it == live.end()) return;  // mid-stream (capture started late): ignored
    FlowState& f = *states[it->second];
    if (syn && ack && d == 1) {
      if (f.flow.t_synack == kNoTime) f.flow.t_synack = t;
      f.dir[1].have_isn = true;
      f.dir[1].next_seq = seq + 1;
      return;
    }
    if (d == 0 && ack && f.flow.t_ack == kNoTime && f.flow.t_synack != kNoTime) f.flow.t_ack = t;
    f.flow.truncated = f.flow.truncated || truncated;
    if (payload_len > 0 && f.dir[d].have_isn)
      add_payload(
          f, d, seq,
          TcpChunk{t, std::string(reinterpret_cast<const char*>(tcp + tcp_len), payload_len)});
    if (fin && f.flow.t_fin[d] == kNoTime) f.flow.t_fin[d] = t;
    if (rst && f.flow.t_rst[d] == kNoTime) f.flow.t_rst[d] = t;
  }
};

}  // namespace

Result<std::vector<TcpFlow>> read_tcp_flows(const std::string& path, std::uint16_t port) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> pc(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err),
      pcap_close);
  if (!pc) return Error{"cannot read capture '" + path + "': " + err};
  const int linktype = pcap_datalink(pc.get());
  if (linktype != DLT_EN10MB && linktype != DLT_LINUX_SLL && linktype != DLT_LINUX_SLL2 &&
      linktype != DLT_RAW && linktype != DLT_NULL)
    return Error{"capture '" + path + "': unsupported link type " + std::to_string(linktype)};
  Reader r{htons(port), {}, {}};
  pcap_pkthdr* h = nullptr;
  const std::uint8_t* p = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(pc.get(), &h, &p)) == 1) {
    const int off = ip_offset(linktype, p, h->caplen);
    if (off < 0 || h->caplen < static_cast<std::uint32_t>(off) + 20) continue;
    const std::uint8_t* ip = p + off;
    const std::uint32_t ihl = (ip[0] & 0x0f) * 4u;
    const std::uint32_t total = static_cast<std::uint32_t>(ip[2] << 8 | ip[3]);
    if (ip[9] != 6 || h->caplen < off + ihl + 20) continue;  // TCP only
    const std::uint8_t* tcp = ip + ihl;
    const auto sport = load16(tcp);
    const auto dport = load16(tcp + 2);
    if (sport != r.port && dport != r.port) continue;
    const std::uint32_t tcp_len = (tcp[12] >> 4) * 4u;
    if (total < ihl + tcp_len) continue;
    std::uint32_t payload = total - ihl - tcp_len;
    const std::uint32_t have = h->caplen - static_cast<std::uint32_t>(off) - ihl;
    const bool truncated = have < tcp_len + payload;
    if (truncated) payload = have > tcp_len ? have - tcp_len : 0;
    const std::int64_t t = static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 +
                           static_cast<std::int64_t>(h->ts.tv_usec);  // ns precision
    r.segment(t, load32(ip + 12), sport, load32(ip + 16), dport, tcp, tcp_len, payload, truncated);
  }
  if (rc == PCAP_ERROR) return Error{"capture '" + path + "': " + pcap_geterr(pc.get())};
  std::vector<TcpFlow> out;
  out.reserve(r.states.size());
  for (auto& s : r.states)
    out.push_back(std::move(s->flow));
  return out;
}

}  // namespace ts::real
