// StreamLedger: the byte accounts of one direction of one simulated TCP stream, checked the
// way TigerBeetle's simulator checks its network: a link-model bug that loses, duplicates,
// reorders or corrupts bytes fails the run instead of quietly skewing its results.
//   sender:   bytes written into the link and a running CRC-32C over them; each segment
//             records its stream offset and the sender's CRC through its last byte;
//   receiver: bytes handed to the node and a running CRC-32C over them. A delivery must
//             start at the receiver's offset and bring its CRC to the one the sender had
//             there: the delivered bytes are, byte for byte, a prefix of the sent ones;
//   pool:     bytes in live segments of the stream (in flight, or parked out of order),
//             counted where segments are allocated and freed, not where they are used;
//   discarded: bytes that will never be delivered (lost to a reset, close, crash, a
//             partition that never heals, or a retransmission timeout).
// When the connection ends, and at the end of the run: sent = delivered + in flight +
// discarded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ts::sim {

struct StreamLedger {
  std::uint64_t sent = 0;       // bytes written into the link
  std::uint64_t in_flight = 0;  // bytes in live pool segments of this stream
  std::uint64_t delivered = 0;  // bytes handed to the receiving node
  std::uint64_t discarded = 0;  // bytes that will never be delivered
  std::uint32_t sent_crc = 0;   // CRC-32C of the sent bytes
  std::uint32_t delivered_crc = 0;
};

// CRC-32C of `bytes` appended to a stream whose CRC so far is `crc` (0 for the empty
// stream): crc32_extend(crc32_extend(0, a), b) == crc32_extend(0, a + b). The CPU's crc32
// instruction where there is one; crc32c_software is the table form, always.
std::uint32_t crc32_extend(std::uint32_t crc, std::string_view bytes);
std::uint32_t crc32c_software(std::uint32_t crc, std::string_view bytes);

// "" when the accounts balance (and, when everything sent was delivered, the two CRCs
// agree), else what is wrong, for an invariant message.
std::string balance_error(const StreamLedger& l);

}  // namespace ts::sim
