// WireObserver: a hook that sees the simulated TCP traffic as packets, in event order, at
// the moment each packet is sent (used to write pcap files; see store/pcap_writer.h). The
// World calls it only when one is set, so runs without an observer pay one branch per
// packet. Calls are synchronous; the observer must not call back into the World.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace ts::sim {

class WireObserver {
 public:
  virtual ~WireObserver() = default;
  // The dialer sends a SYN for connection `serial` (run-unique), from its ephemeral port.
  virtual void on_syn(SimTime t_ns, std::uint32_t serial, std::uint32_t dialer,
                      std::uint32_t listener, std::uint16_t dialer_port) = 0;
  // The listener's host answers the SYN: SYN-ACK when `accepted`, else RST (port closed).
  virtual void on_syn_reply(SimTime t_ns, std::uint32_t serial, bool accepted) = 0;
  // Side `dir` (0 = dialer, 1 = listener) sends a segment: the handshake's final ACK
  // (`ack_only`, no bytes), data bytes, or a FIN (`fin`, no bytes).
  virtual void on_segment(SimTime t_ns, std::uint32_t serial, int dir, std::string_view bytes,
                          bool fin, bool ack_only) = 0;
  // Side `dir`'s host (or the path, for injected resets) sends a RST.
  virtual void on_rst(SimTime t_ns, std::uint32_t serial, int dir) = 0;
};

}  // namespace ts::sim
