#include "node_core/utf8.h"

#include <cstdint>
#include <cstring>

namespace ts::node {

namespace {

// Whether every byte of `s` is ASCII: eight bytes at a time, the last eight overlapping.
bool all_ascii(std::string_view s) {
  std::uint64_t high = 0, word;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::memcpy(&word, s.data() + i, 8);
    high |= word;
  }
  if (i < s.size() && s.size() >= 8) {
    std::memcpy(&word, s.data() + s.size() - 8, 8);
    high |= word;
  } else {
    for (; i < s.size(); ++i)
      high |= static_cast<unsigned char>(s[i]);
  }
  return (high & 0x8080808080808080ull) == 0;
}

}  // namespace

bool is_utf8(std::string_view s) {
  if (all_ascii(s)) return true;  // a line is almost always ASCII
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {  // eight ASCII bytes at a time (a line is almost always ASCII)
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b == 0xe0) lo = 0xa0;
      if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b == 0xf0) lo = 0x90;
      if (b == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf)) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace ts::node
