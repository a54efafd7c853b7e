#include "node_core/codec.h"

#include "common/assert.h"

namespace ts::node {

std::string_view decode_error_kind_name(DecodeErrorKind kind) {
  switch (kind) {
    case DecodeErrorKind::kInvalidJson:
      return "invalid_json";
    case DecodeErrorKind::kUnknownVariant:
      return "unknown_variant";
    case DecodeErrorKind::kInvalidFields:
      return "invalid_fields";
  }
  return "?";
}

LineBuffer::Carry& LineBuffer::carry() {
  if (!carry_) carry_ = std::make_unique<Carry>();
  return *carry_;
}

// A carry that holds nothing is freed, so an idle connection keeps no buffer and a one-off
// large line does not pin its memory.
void LineBuffer::drop_carry_if_idle() {
  if (carry_ && carry_->partial.empty() && !carry_->discarding) carry_.reset();
}

std::size_t LineBuffer::buffered_bytes() const {
  std::size_t n = in_.size();
  if (carry_ && !carry_->partial_is_line) n += carry_->partial.size();
  return n;
}

void LineBuffer::append(std::string_view bytes) {
  TS_ASSERT(in_.empty());  // the previous append was drained
  in_ = bytes;
}

LineBuffer::Item LineBuffer::next() {
  if (carry_ && carry_->partial_is_line) {
    carry_->partial.clear();
    carry_->partial_is_line = false;
    drop_carry_if_idle();
  }
  if (carry_ && carry_->discarding) {
    Carry& c = *carry_;
    const std::size_t nl = in_.find('\n');
    if (nl == std::string_view::npos) {
      c.discarded += in_.size();
      in_ = {};
      return {};
    }
    c.discarded += nl;
    in_.remove_prefix(nl + 1);
    Item it;
    it.kind = Item::Kind::kOversized;
    it.bytes = c.discarded;
    c.discarding = false;
    c.discarded = 0;
    drop_carry_if_idle();
    return it;
  }
  const std::size_t held = carry_ ? carry_->partial.size() : 0;
  const std::size_t nl = in_.find('\n');
  if (nl == std::string_view::npos) {
    const std::uint64_t total = held + in_.size();
    if (max_line_bytes_ > 0 && total > max_line_bytes_) {
      // The partial line is already too long: drop it and the rest of it as it comes.
      Carry& c = carry();
      std::string().swap(c.partial);
      c.discarding = true;
      c.discarded = total;
      ++oversized_;
      in_ = {};
      return {};
    }
    if (!in_.empty()) carry().partial.append(in_);
    in_ = {};
    return {};
  }
  std::string_view line = in_.substr(0, nl);
  if (held > 0) {
    Carry& c = *carry_;
    c.partial.append(line);
    c.partial_is_line = true;
    line = c.partial;
  }
  in_.remove_prefix(nl + 1);
  Item it;
  if (max_line_bytes_ > 0 && line.size() > max_line_bytes_) {
    ++oversized_;
    it.kind = Item::Kind::kOversized;
    it.bytes = line.size();
    return it;
  }
  it.kind = Item::Kind::kLine;
  it.line = line;
  return it;
}

std::optional<std::string_view> LineBuffer::next_line() {
  while (true) {
    const Item it = next();
    if (it.kind == Item::Kind::kLine) return it.line;
    if (it.kind == Item::Kind::kNone) return std::nullopt;
  }
}

}  // namespace ts::node
