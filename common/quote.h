// Quoting user text in error messages: every message is one short line, whatever the user
// typed. escape_control() makes any text one line (control characters shown as \n, \t,
// \xNN); quote() also cuts it to kQuoteMaxBytes, so a 3 MB version string or key is not
// echoed whole. Every error that quotes user input uses quote().
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace ts {

// Longest piece of user text an error message repeats (bytes, before escaping).
inline constexpr std::size_t kQuoteMaxBytes = 80;

// `text` with \n, \r, \t shown as such and other control bytes (and DEL) as \xNN.
inline std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// `text` cut to at most `max_bytes`, at a UTF-8 character boundary, with "…" if it was cut.
inline std::string shorten(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;  // do not split a multi-byte character
  return std::string(text.substr(0, cut)) + "\u2026";
}

// 'text' in single quotes, cut to kQuoteMaxBytes (shorten) and escaped: 'aaaa…'.
inline std::string quote(std::string_view text) {
  // Appended, not "'" + ...: GCC 12 reports a false -Wrestrict for that operator+ once this
  // is inlined into some callers (GCC bug 105651).
  std::string out = "'";
  out += escape_control(shorten(text, kQuoteMaxBytes));
  out += '\'';
  return out;
}

}  // namespace ts
