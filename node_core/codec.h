// NDJSON codec for the wire format: one JSON message per '\n'-terminated line.
//
// encode() produces the exact bytes serde_json emits for the Rust enum (compact JSON,
// fields in declaration order). decode_line() parses one line (without its '\n') and
// never throws: a bad line is returned as a DecodeError value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "node_core/message.h"

namespace ts::node {

enum class DecodeErrorKind : std::uint8_t {
  kInvalidJson,     // not JSON at all, or trailing characters after the value
  kUnknownVariant,  // JSON, but not a variant of the protocol enum
  kInvalidFields,   // a known variant whose fields do not match its type
};
std::string_view decode_error_kind_name(DecodeErrorKind kind);

struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::kInvalidJson;
  std::string detail;  // human-readable, names the offending part
};

// Appends the wire bytes of `m`, including the trailing '\n', to `out`.
void encode(const Message& m, std::string& out);
std::string encode(const Message& m);

// Parses one line (no '\n'). Surrounding ASCII whitespace (incl. '\r') is ignored, as the
// real node trims lines before parsing.
Result<Message, DecodeError> decode_line(std::string_view line);

// Incremental line framing over a TCP byte stream: bytes go in in arbitrary chunks, whole
// lines come out. Holds at most one partial line. When `max_line_bytes` > 0 and the
// partial line grows past it, the buffer reports overflow (and drops what it holds).
class LineBuffer {
 public:
  explicit LineBuffer(std::uint64_t max_line_bytes = 0) : max_line_bytes_(max_line_bytes) {}

  void append(std::string_view bytes) { buf_.append(bytes); }

  // The next complete line without its '\n', valid until the next call on this buffer;
  // nullopt when no complete line is buffered.
  std::optional<std::string_view> next_line();

  // True once a line longer than max_line_bytes was seen. Sticky.
  bool overflowed() const { return overflowed_; }
  std::size_t buffered_bytes() const { return buf_.size() - start_; }

 private:
  std::string buf_;
  std::size_t start_ = 0;  // bytes before start_ have been consumed
  std::uint64_t max_line_bytes_;
  bool overflowed_ = false;
};

}  // namespace ts::node
