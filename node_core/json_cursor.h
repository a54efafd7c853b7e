// A pull parser over one JSON text, for the wire decoder (node_core/codec_decode.cc).
//
// It accepts exactly the texts nlohmann::json::parse accepts (RFC 8259, strict: no comments,
// no trailing commas, strings valid UTF-8, surrogate pairs checked, a leading UTF-8 BOM
// allowed) and classifies numbers as nlohmann does: an integer literal is kUnsigned if it
// has no '-' and fits a u64, kInteger if it has a '-' and fits an i64 ("-0" is kInteger 0),
// and everything else (a fraction, an exponent, or an integer that overflows) is kFloat;
// a kFloat beyond a double's range is a syntax error, as nlohmann makes it. A NUL byte is
// not an end of input here (nlohmann reads it as one): the caller cuts the text there.
//
// It builds nothing: strings come back as views (of the text, or of one reused buffer when
// they hold escapes), values the caller does not want are skipped without recursion. The
// first syntax error latches failed(); every later call then returns false.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ts::node {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  // What the next value starts with (after whitespace): one of " { [ t f n, '0' for a number
  // (including '-'), or '\0' for anything else (end of text or a byte no value starts with).
  char peek_value();
  // Skips a UTF-8 byte-order mark at the very start, as nlohmann does.
  void skip_bom();
  // True when only whitespace is left.
  bool at_end();

  // Consumes `c` after whitespace; false (and failed) if the next byte is something else.
  bool expect(char c);
  // After whitespace: consumes `c` and returns true if it is next; otherwise consumes nothing.
  bool take(char c);

  // A string value: its decoded bytes, valid until the next call of string().
  bool string(std::string_view& out);

  struct Number {
    enum class Kind : std::uint8_t { kUnsigned, kInteger, kFloat } kind = Kind::kFloat;
    std::uint64_t u = 0;  // kUnsigned
    std::int64_t i = 0;   // kInteger
  };
  bool number(Number& out);
  // true / false.
  bool boolean(bool& out);
  // Any value, of any depth, without building it.
  bool skip_value();

  // Iterates an object: call begin_object(), then while next_member(key) read the member's
  // value; next_member returns false at the closing '}' (or on a syntax error).
  bool begin_object() { return expect('{') && (first_ = true); }
  bool next_member(std::string_view& key);
  // Iterates an array the same way: begin_array(), then while next_element() read a value.
  bool begin_array() { return expect('[') && (first_ = true); }
  bool next_element();

  bool failed() const { return failed_; }
  // Byte offset of the next unread byte (for spans of skipped values).
  std::size_t offset() const { return pos_; }
  std::string_view text() const { return text_; }

 private:
  bool fail() { return failed_ = true, false; }
  void skip_ws();
  bool literal(std::string_view word);
  bool hex4(std::uint32_t& out);
  bool escape();
  bool utf8_tail(unsigned char lead);
  bool skip_scalar();

  std::string_view text_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  bool first_ = false;     // begin_object/begin_array was just called
  std::string unescaped_;  // string() output for strings with escapes
};

}  // namespace ts::node
