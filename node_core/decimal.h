// write_decimal: an integer's shortest decimal text (serde_json's and fmt's form: no leading
// zeros, '-' for a negative value), eight digits at a time without a division per digit.
// The Ping and Pong lines, the most frequent on the wire, carry a 20-digit nonce and a
// 10-digit timestamp; fmt::format_int spent about 290 instructions on the pair (callgrind).
//
// Contract: `out` has room for kDecimalRoom bytes. The digits are written at out[0..n) and
// the returned pointer is out + n; bytes up to out + kDecimalRoom may be overwritten.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace ts::node {

inline constexpr std::size_t kDecimalRoom = 21;  // '-' and 20 digits

namespace decimal_detail {

static_assert(std::endian::native == std::endian::little, "digits are stored as one word");

// The eight digits of x < 10^8 as byte values 0..9 (leading zeros kept), the first digit in
// the low byte. SWAR: split into 4-digit halves, each into 2-digit lanes, each into digits;
// the reciprocal multiplications are exact for lanes below 10^4 and 10^2.
inline std::uint64_t eight_digit_values(std::uint32_t x) {
  std::uint64_t v = (x / 10000) | (std::uint64_t{x % 10000} << 32);
  const std::uint64_t hundreds = ((v * 10486) >> 20) & 0x0000007F0000007FULL;
  v = hundreds | ((v - hundreds * 100) << 16);
  const std::uint64_t tens = ((v * 103) >> 10) & 0x000F000F000F000FULL;
  return tens | ((v - tens * 10) << 8);
}

constexpr std::uint64_t kAsciiZeros = 0x3030303030303030ULL;

// Writes the last `n` of the eight digits in `values` at p (eight bytes stored).
inline char* put(char* p, std::uint64_t values, int n) {
  const std::uint64_t ascii = (values | kAsciiZeros) >> (8 * (8 - n));
  std::memcpy(p, &ascii, sizeof ascii);
  return p + n;
}

inline char* all_eight(char* p, std::uint32_t x) {
  return put(p, eight_digit_values(x), 8);
}

// x < 10^8 without leading zeros: the first nonzero byte is the first digit.
inline char* leading(char* p, std::uint32_t x) {
  const std::uint64_t values = eight_digit_values(x);
  const int n = values == 0 ? 1 : 8 - std::countr_zero(values) / 8;
  return put(p, values, n);
}

}  // namespace decimal_detail

inline char* write_decimal(char* out, std::uint64_t v) {
  using namespace decimal_detail;
  constexpr std::uint64_t k1e8 = 100000000, k1e16 = k1e8 * k1e8;
  if (v < k1e8) return leading(out, static_cast<std::uint32_t>(v));
  if (v < k1e16) {
    out = leading(out, static_cast<std::uint32_t>(v / k1e8));
    return all_eight(out, static_cast<std::uint32_t>(v % k1e8));
  }
  const std::uint64_t rest = v % k1e16;
  out = leading(out, static_cast<std::uint32_t>(v / k1e16));
  out = all_eight(out, static_cast<std::uint32_t>(rest / k1e8));
  return all_eight(out, static_cast<std::uint32_t>(rest % k1e8));
}

inline char* write_decimal(char* out, std::int64_t v) {
  if (v >= 0) return write_decimal(out, static_cast<std::uint64_t>(v));
  *out = '-';
  return write_decimal(out + 1, std::uint64_t{0} - static_cast<std::uint64_t>(v));
}

}  // namespace ts::node
