#include "sim/stream_ledger.h"

#include <array>
#include <cstring>

namespace ts::sim {
namespace {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as SSE 4.2's crc32 instruction
// computes it: 8 bytes per instruction where the CPU has it (every x86-64 since 2008), a
// byte table elsewhere. Both give the same value, so the check does not depend on the CPU.
constexpr std::uint32_t kPoly = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kTable = make_table();

std::uint32_t crc32c_table(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc,
                                                             const unsigned char* p,
                                                             std::size_t n) {
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  std::uint32_t c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; --n, ++p)
    c32 = __builtin_ia32_crc32qi(c32, *p);
  return c32;
}
const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c_software(std::uint32_t crc, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  return ~crc32c_table(~crc, p, bytes.size());
}

std::uint32_t crc32_extend(std::uint32_t crc, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
#if defined(__x86_64__)
  if (kHaveSse42) return ~crc32c_sse42(~crc, p, bytes.size());
#endif
  return ~crc32c_table(~crc, p, bytes.size());
}

std::string balance_error(const StreamLedger& l) {
  if (l.sent != l.delivered + l.in_flight + l.discarded)
    return "sent " + std::to_string(l.sent) + " bytes, but delivered " +
           std::to_string(l.delivered) + " + in flight " + std::to_string(l.in_flight) +
           " + discarded " + std::to_string(l.discarded);
  if (l.delivered == l.sent && l.delivered_crc != l.sent_crc)
    return "every byte delivered, but the receiver's CRC-32C differs from the sender's";
  return "";
}

}  // namespace ts::sim
