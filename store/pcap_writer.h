// PcapWriter: writes the simulated TCP streams of a run as a pcap file (nanosecond
// timestamps, LINKTYPE_RAW: IPv4 packets with synthesized IPv4/TCP headers) that tshark and
// Wireshark read and can "follow". It is a WireObserver: packets are captured as sent.
//
// Per connection: SYN (seq = ISN), SYN-ACK or RST, the handshake's final ACK, data as
// PSH/ACK segments of at most kMss bytes, FIN/ACK and RST/ACK. Sequence numbers advance by
// payload length (+1 for SYN and FIN); a packet's ACK number is the next sequence number of
// the other direction. ISNs derive from the connection serial, so files are deterministic.
// Timestamps are the scenario epoch plus virtual time. IPv4 and TCP checksums are valid.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/result.h"
#include "scenario/scenario.h"
#include "sim/wire_observer.h"

namespace ts::sim {

class PcapWriter final : public WireObserver {
 public:
  static constexpr std::size_t kMss = 1448;
  static constexpr std::uint16_t kListenPort = 24100;  // the testnet P2P port

  // Starts `path` and writes the pcap header. The packets go to a temporary file in the
  // same directory that close() renames over `path` (an interrupted run leaves `path` as it
  // was). `scenario` must outlive the writer.
  static Result<std::unique_ptr<PcapWriter>> open(const std::string& path,
                                                  const Scenario& scenario);
  ~PcapWriter() override;
  // Flushes, closes and renames the file into place; reports a write error, if any.
  Result<bool> close();
  std::uint64_t packets() const { return packets_; }

  void on_syn(SimTime t_ns, std::uint32_t serial, std::uint32_t dialer, std::uint32_t listener,
              std::uint16_t dialer_port) override;
  void on_syn_reply(SimTime t_ns, std::uint32_t serial, bool accepted) override;
  void on_segment(SimTime t_ns, std::uint32_t serial, int dir, std::string_view bytes, bool fin,
                  bool ack_only) override;
  void on_rst(SimTime t_ns, std::uint32_t serial, int dir) override;

 private:
  struct Conn {
    std::uint32_t ip[2] = {0, 0};  // [dialer, listener], host order
    std::uint16_t port[2] = {0, 0};
    std::uint32_t next_seq[2] = {0, 0};
    bool open[2] = {false, false};  // the side's SYN was sent
  };
  enum Flags : std::uint8_t { kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10 };

  PcapWriter(std::unique_ptr<AtomicFile> file, const Scenario& sc);
  void packet(SimTime t_ns, const Conn& c, int dir, std::uint32_t seq, std::uint32_t ack,
              std::uint8_t flags, std::string_view payload);

  std::unique_ptr<AtomicFile> file_;
  std::FILE* f_;  // file_'s stream
  const Scenario& sc_;
  std::vector<std::uint32_t> node_ip_;
  std::map<std::uint32_t, Conn> conns_;  // by connection serial
  std::vector<std::uint8_t> buf_;
  std::uint16_t ip_id_ = 0;
  std::uint64_t packets_ = 0;
  bool error_ = false;
};

}  // namespace ts::sim
