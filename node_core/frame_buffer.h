// Incremental length-prefixed framing (34bcf6e's wire.rs): each frame is a 4-byte
// big-endian payload length, then the payload. Bytes go in in arbitrary chunks, whole
// payloads come out.
//
// Same contract as LineBuffer (codec.h): each append() must be drained (next() until
// kNone) before the next one, and the appended bytes must stay valid until then; a payload
// that lies whole inside one append is returned as a view of it; only a frame that spans
// appends is copied, into a carry buffer that exists only while there is one.
//
// A length above `max_frame_bytes` is a stream error (wire.rs read_message: "Frame too
// large"): the buffer yields kTooLarge once and then nothing more; the reader ends the
// connection, since the stream cannot be re-synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ts::node {

inline constexpr std::uint32_t kFrameHeaderBytes = 4;

class FrameBuffer {
 public:
  explicit FrameBuffer(std::uint64_t max_frame_bytes = 4 * 1024 * 1024)
      : max_frame_bytes_(max_frame_bytes) {}

  void append(std::string_view bytes);

  struct Item {
    enum class Kind : std::uint8_t { kNone, kFrame, kTooLarge } kind = Kind::kNone;
    std::string_view payload;  // kFrame: valid until the next call
    std::uint64_t length = 0;  // kFrame and kTooLarge: the length the header announced
  };
  Item next();

  // Bytes held or pending: a carried partial frame plus appended bytes not yet consumed.
  std::size_t buffered_bytes() const;
  bool failed() const { return failed_; }

 private:
  std::unique_ptr<std::string> carry_;  // a partial frame (header included); null between frames
  bool carry_is_frame_ = false;         // carry_ holds the frame last returned by next()
  bool failed_ = false;                 // a too-large length was read: no more items
  std::string_view in_;
  std::uint64_t max_frame_bytes_;
};

// Appends `payload` as one frame (header, then payload) to `out`.
void append_frame(std::string_view payload, std::string& out);

}  // namespace ts::node
