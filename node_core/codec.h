// NDJSON codec for the wire format: one JSON message per '\n'-terminated line.
//
// encode() produces the exact bytes serde_json emits for the Rust enum (compact JSON,
// fields in declaration order), appended to a caller's buffer without other allocation
// (node_core/codec_encode.cc). decode_line() parses one line (without its '\n') and never
// throws: a bad line is returned as a DecodeError value. It reads the line with a pull
// parser (node_core/json_cursor.h) straight into the message, building no JSON document,
// and accepts and rejects exactly what the nlohmann DOM decoder it replaced did
// (node_core/codec_decode.cc; checked against that decoder, kept as tests/reference_codec.cc).
#pragma once

#include <cstdint>
#include <memory>
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
// lines come out. Holds at most one partial line.
//
// Zero-copy: a line that lies whole inside the appended bytes is returned as a view of
// them. So each append() must be drained (next() until kNone) before the next append, and
// `bytes` must stay valid until then (the driver's read callback). Only a partial line
// left at the end is copied, into a carry buffer that exists only while there is one: a
// connection between lines holds no buffer.
//
// When `max_line_bytes` > 0, a line longer than that is not kept: its bytes are discarded
// as they arrive (so a connection holds at most max_line_bytes + one read of memory), and
// when its '\n' arrives the buffer yields an Oversized item with the line's full length.
// With max_line_bytes = 0 (the incident commits) a line may grow without bound, as
// upstream's read_line() does.
class LineBuffer {
 public:
  explicit LineBuffer(std::uint64_t max_line_bytes = 0) : max_line_bytes_(max_line_bytes) {}

  // Takes `bytes`; the previous append must have been drained (see the class comment).
  void append(std::string_view bytes);

  struct Item {
    enum class Kind : std::uint8_t { kNone, kLine, kOversized } kind = Kind::kNone;
    std::string_view line;    // kLine: the line without '\n', valid until the next call
    std::uint64_t bytes = 0;  // kOversized: the discarded line's length, without '\n'
  };
  // The next complete line or oversized-line report; kNone when neither is ready.
  Item next();
  // The next complete line, skipping oversized ones (they still count in oversized()).
  std::optional<std::string_view> next_line();

  // Oversized lines seen so far (complete or still arriving).
  std::uint64_t oversized() const { return oversized_; }
  bool overflowed() const { return oversized_ > 0; }
  // Bytes held or pending: the carried partial line plus appended bytes not yet consumed.
  std::size_t buffered_bytes() const;
  // Heap memory this buffer owns (the carry and its capacity); 0 between lines.
  std::size_t heap_bytes() const { return carry_ ? sizeof(Carry) + carry_->partial.capacity() : 0; }

 private:
  // State that exists only while a line spans appends or an oversized line is streaming.
  struct Carry {
    std::string partial;           // the start of the line being completed (no '\n' in it)
    bool partial_is_line = false;  // `partial` holds the line last returned by next()
    bool discarding = false;       // inside an oversized line: drop bytes up to its '\n'
    std::uint64_t discarded = 0;   // bytes of the current oversized line dropped so far
  };
  Carry& carry();
  void drop_carry_if_idle();

  std::unique_ptr<Carry> carry_;  // null between lines
  std::string_view in_;           // appended bytes not yet consumed (the caller's memory)
  std::uint64_t max_line_bytes_;
  std::uint64_t oversized_ = 0;
};

}  // namespace ts::node
