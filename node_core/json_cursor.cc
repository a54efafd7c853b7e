#include "node_core/json_cursor.h"

#include <cmath>
#include <cstdlib>

namespace ts::node {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

void JsonCursor::skip_ws() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++pos_;
  }
}

void JsonCursor::skip_bom() {
  if (text_.substr(pos_, 3) == "\xEF\xBB\xBF") pos_ += 3;
}

char JsonCursor::peek_value() {
  skip_ws();
  if (failed_ || pos_ >= text_.size()) return '\0';
  const char c = text_[pos_];
  switch (c) {
    case '"':
    case '{':
    case '[':
    case 't':
    case 'f':
    case 'n':
      return c;
    default:
      return c == '-' || is_digit(c) ? '0' : '\0';
  }
}

bool JsonCursor::at_end() {
  skip_ws();
  return pos_ >= text_.size();
}

bool JsonCursor::expect(char c) {
  if (failed_) return false;
  skip_ws();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return fail();
}

bool JsonCursor::take(char c) {
  if (failed_) return false;
  skip_ws();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

bool JsonCursor::literal(std::string_view word) {
  if (failed_) return false;
  skip_ws();
  if (text_.substr(pos_, word.size()) != word) return fail();
  pos_ += word.size();
  return true;
}

bool JsonCursor::boolean(bool& out) {
  if (peek_value() == 't') return out = true, literal("true");
  return out = false, literal("false");
}

bool JsonCursor::hex4(std::uint32_t& out) {
  if (text_.size() - pos_ < 4) return fail();
  out = 0;
  for (int k = 0; k < 4; ++k) {
    const int h = hex_value(text_[pos_++]);
    if (h < 0) return fail();
    out = out * 16 + static_cast<std::uint32_t>(h);
  }
  return true;
}

// After the backslash: one escape, decoded into unescaped_. A high surrogate must be followed
// by an escaped low one; a lone low surrogate is an error (nlohmann's rules).
bool JsonCursor::escape() {
  if (pos_ >= text_.size()) return fail();
  const char c = text_[pos_++];
  switch (c) {
    case '"':
    case '\\':
    case '/':
      unescaped_ += c;
      return true;
    case 'b':
      unescaped_ += '\b';
      return true;
    case 'f':
      unescaped_ += '\f';
      return true;
    case 'n':
      unescaped_ += '\n';
      return true;
    case 'r':
      unescaped_ += '\r';
      return true;
    case 't':
      unescaped_ += '\t';
      return true;
    case 'u':
      break;
    default:
      return fail();
  }
  std::uint32_t cp = 0;
  if (!hex4(cp)) return false;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail();
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    std::uint32_t low = 0;
    if (text_.substr(pos_, 2) != "\\u") return fail();
    pos_ += 2;
    if (!hex4(low)) return false;
    if (low < 0xDC00 || low > 0xDFFF) return fail();
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(unescaped_, cp);
  return true;
}

// The continuation bytes of a multi-byte UTF-8 sequence whose lead byte was just read
// (RFC 3629's table: no overlong forms, no surrogates, nothing above U+10FFFF).
bool JsonCursor::utf8_tail(unsigned char lead) {
  unsigned char lo = 0x80, hi = 0xBF;
  int tail = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    tail = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    tail = 2;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    tail = 3;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return fail();
  }
  for (int k = 0; k < tail; ++k) {
    if (pos_ >= text_.size()) return fail();
    const auto b = static_cast<unsigned char>(text_[pos_++]);
    if (b < lo || b > hi) return fail();
    lo = 0x80;
    hi = 0xBF;
  }
  return true;
}

bool JsonCursor::string(std::string_view& out) {
  if (!expect('"')) return false;
  const std::size_t start = pos_;
  // Fast path: the run of printable ASCII before the first quote, backslash, control or
  // non-ASCII byte needs no work (the loop below would only step over it).
  while (pos_ < text_.size()) {
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
    ++pos_;
  }
  bool escaped = false;
  while (true) {
    if (pos_ >= text_.size()) return fail();
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') break;
    if (c == '\\') {
      if (!escaped) unescaped_.assign(text_.substr(start, pos_ - start));
      escaped = true;
      ++pos_;
      if (!escape()) return false;
      continue;
    }
    if (c < 0x20) return fail();
    const std::size_t at = pos_++;
    if (c >= 0x80 && !utf8_tail(c)) return false;
    if (escaped) unescaped_.append(text_.substr(at, pos_ - at));
  }
  out = escaped ? std::string_view(unescaped_) : text_.substr(start, pos_ - start);
  ++pos_;  // the closing quote
  return true;
}

bool JsonCursor::number(Number& out) {
  if (peek_value() != '0') return fail();
  const std::size_t start = pos_;
  const bool negative = text_[pos_] == '-';
  if (negative) ++pos_;
  if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail();
  std::uint64_t mag = 0;
  bool overflow = false;
  auto digit = [&](char c) {
    overflow |= __builtin_mul_overflow(mag, 10u, &mag);
    overflow |= __builtin_add_overflow(mag, static_cast<std::uint64_t>(c - '0'), &mag);
  };
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    // Local pointers: the loop keeps them in registers (members would be reloaded).
    const char* p = text_.data() + pos_;
    const char* const end = text_.data() + text_.size();
    const char* const unchecked_end = end - p > 19 ? p + 19 : end;
    // Below 10^19 < 2^64: the first 19 digits cannot overflow.
    while (p < unchecked_end && static_cast<unsigned>(*p - '0') < 10)
      mag = mag * 10 + static_cast<std::uint64_t>(*p++ - '0');
    while (p < end && static_cast<unsigned>(*p - '0') < 10)
      digit(*p++);
    pos_ = static_cast<std::size_t>(p - text_.data());
  }
  bool is_float = false;
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail();
    while (pos_ < text_.size() && is_digit(text_[pos_]))
      ++pos_;
    is_float = true;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail();
    while (pos_ < text_.size() && is_digit(text_[pos_]))
      ++pos_;
    is_float = true;
  }
  out = Number{};
  if (is_float || overflow) {  // kFloat; nlohmann rejects one that overflows a double
    const std::string token(text_.substr(start, pos_ - start));
    return std::isfinite(std::strtod(token.c_str(), nullptr)) || fail();
  }
  if (!negative) {
    out.kind = Number::Kind::kUnsigned;
    out.u = mag;
  } else if (mag <= static_cast<std::uint64_t>(INT64_MAX) + 1) {
    out.kind = Number::Kind::kInteger;
    out.i = static_cast<std::int64_t>(0 - mag);
  }
  return true;
}

bool JsonCursor::skip_scalar() {
  std::string_view s;
  Number n;
  switch (peek_value()) {
    case '"':
      return string(s);
    case '0':
      return number(n);
    case 't':
      return literal("true");
    case 'f':
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return fail();
  }
}

// Iterative, so a deeply nested line cannot exhaust the stack; `open` is the stack of the
// containers entered ('{' or '['), on the heap only past 15 levels.
bool JsonCursor::skip_value() {
  std::string open;
  while (!failed_) {
    const char c = peek_value();
    bool closed = false;  // the value just read is complete
    if (c == '{' || c == '[') {
      ++pos_;
      closed = take(c == '{' ? '}' : ']');
      if (!closed) {
        open += c;
        std::string_view key;
        if (c == '{' && (!string(key) || !expect(':'))) return false;
        continue;
      }
    } else if (!skip_scalar()) {
      return false;
    }
    // After a complete value: close containers until one continues with ','.
    while (true) {
      if (open.empty()) return true;
      const char top = open.back();
      if (take(',')) {
        std::string_view key;
        if (top == '{' && (!string(key) || !expect(':'))) return false;
        break;  // the next value
      }
      if (!expect(top == '{' ? '}' : ']')) return false;
      open.pop_back();
    }
  }
  return false;
}

bool JsonCursor::next_member(std::string_view& key) {
  if (failed_) return false;
  if (first_) {
    first_ = false;
    if (take('}')) return false;
  } else if (!take(',')) {
    expect('}');
    return false;
  }
  return string(key) && expect(':');
}

bool JsonCursor::next_element() {
  if (failed_) return false;
  if (first_) {
    first_ = false;
    return !take(']');
  }
  if (take(',')) return true;
  expect(']');
  return false;
}

}  // namespace ts::node
