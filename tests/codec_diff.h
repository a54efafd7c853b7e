// The differential check of the wire codec against the reference (the previous nlohmann DOM
// codec, tests/reference_codec.cc), shared by tests/codec_equivalence_test.cc and
// fuzz/fuzz_codec_diff.cc.
#pragma once

#include <string>
#include <string_view>

#include "node_core/codec.h"
#include "tests/reference_codec.h"

namespace ts::node {

// "" when decode_line and reference::decode_line agree on `line` (the same message, or the
// same error kind and detail) and, for a message, encode() writes the reference's bytes;
// otherwise what differs.
inline std::string codec_difference(std::string_view line) {
  const auto now = decode_line(line);
  const auto ref = reference::decode_line(line);
  if (now.ok() != ref.ok()) {
    return std::string("one decoded, one failed: ") +
           (now.ok() ? "reference error " + ref.error().detail : "error " + now.error().detail);
  }
  if (!now.ok()) {
    if (now.error().kind != ref.error().kind)
      return "error kinds differ: " + std::string(decode_error_kind_name(now.error().kind)) +
             " vs reference " + std::string(decode_error_kind_name(ref.error().kind));
    if (now.error().detail != ref.error().detail)
      return "details differ: '" + now.error().detail + "' vs reference '" + ref.error().detail +
             "'";
    return "";
  }
  // Every field of every variant is in its encoding, so equal reference encodings of the
  // same variant are equal messages.
  if (now->index() != ref->index()) return "decoded to different variants";
  const std::string ref_bytes = reference::encode(*ref);
  if (reference::encode(*now) != ref_bytes) return "decoded messages differ: " + ref_bytes;
  if (encode(*now) != ref_bytes) return "encodings differ: " + encode(*now) + " vs " + ref_bytes;
  return "";
}

}  // namespace ts::node
