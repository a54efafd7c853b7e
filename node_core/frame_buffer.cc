#include "node_core/frame_buffer.h"

#include "common/assert.h"

namespace ts::node {
namespace {
std::uint64_t read_length(std::string_view header) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kFrameHeaderBytes; ++i)
    n = (n << 8) | static_cast<unsigned char>(header[i]);
  return n;
}
}  // namespace

void append_frame(std::string_view payload, std::string& out) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(payload);
}

void FrameBuffer::append(std::string_view bytes) {
  TS_ASSERT(in_.empty());  // the previous append was drained
  in_ = bytes;
}

std::size_t FrameBuffer::buffered_bytes() const {
  return in_.size() + (carry_ && !carry_is_frame_ ? carry_->size() : 0);
}

FrameBuffer::Item FrameBuffer::next() {
  if (carry_is_frame_) {  // the frame returned last time is consumed
    carry_.reset();
    carry_is_frame_ = false;
  }
  if (failed_) {
    in_ = {};
    return {};
  }
  if (!carry_) {
    // Fast path: a whole frame inside the appended bytes is returned as a view.
    if (in_.size() >= kFrameHeaderBytes) {
      const std::uint64_t len = read_length(in_);
      if (len > max_frame_bytes_) {
        failed_ = true;
        in_ = {};
        return Item{Item::Kind::kTooLarge, {}, len};
      }
      if (in_.size() >= kFrameHeaderBytes + len) {
        Item it{Item::Kind::kFrame, in_.substr(kFrameHeaderBytes, len), len};
        in_.remove_prefix(kFrameHeaderBytes + len);
        return it;
      }
    }
    if (in_.empty()) return {};
    carry_ = std::make_unique<std::string>();
  }
  // Slow path: complete the carried frame from the appended bytes.
  std::string& c = *carry_;
  if (c.size() < kFrameHeaderBytes) {
    const std::size_t take = std::min(kFrameHeaderBytes - c.size(), in_.size());
    c.append(in_.substr(0, take));
    in_.remove_prefix(take);
    if (c.size() < kFrameHeaderBytes) return {};
    const std::uint64_t len = read_length(c);
    if (len > max_frame_bytes_) {
      failed_ = true;
      carry_.reset();
      in_ = {};
      return Item{Item::Kind::kTooLarge, {}, len};
    }
  }
  const std::uint64_t len = read_length(c);
  const std::size_t missing = kFrameHeaderBytes + len - c.size();
  const std::size_t take = std::min(missing, in_.size());
  c.append(in_.substr(0, take));
  in_.remove_prefix(take);
  if (take < missing) return {};
  carry_is_frame_ = true;
  return Item{Item::Kind::kFrame, std::string_view(c).substr(kFrameHeaderBytes), len};
}

}  // namespace ts::node
