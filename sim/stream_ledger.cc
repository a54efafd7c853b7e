#include "sim/stream_ledger.h"

#include <zlib.h>

namespace ts::sim {

std::uint32_t crc32_extend(std::uint32_t crc, std::string_view bytes) {
  // crc32_z takes a size_t length (zlib >= 1.2.9); a null pointer with length 0 is fine
  return static_cast<std::uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

std::string balance_error(const StreamLedger& l) {
  if (l.sent != l.delivered + l.in_flight + l.discarded)
    return "sent " + std::to_string(l.sent) + " bytes, but delivered " +
           std::to_string(l.delivered) + " + in flight " + std::to_string(l.in_flight) +
           " + discarded " + std::to_string(l.discarded);
  if (l.delivered == l.sent && l.delivered_crc != l.sent_crc)
    return "every byte delivered, but the receiver's CRC-32 differs from the sender's";
  return "";
}

}  // namespace ts::sim
