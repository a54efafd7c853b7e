// libFuzzer target: the wire decoder and encoder against the reference codec they replaced
// (tests/reference_codec.cc, nlohmann DOM). Every line of the input, and the input as one
// line, must decode to the same message or the same error (kind and detail) in both, and the
// message must encode to the reference's bytes. A difference aborts with both results.
//
// Seeded from the wire corpus (tests/fuzz/wire): its inputs are lines a peer sends.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tests/codec_diff.h"

namespace {

void check(std::string_view line) {
  const std::string diff = ts::node::codec_difference(line);
  if (diff.empty()) return;
  std::fprintf(stderr, "codec_diff: %s\n  line (%zu bytes): %.*s\n", diff.c_str(), line.size(),
               static_cast<int>(line.size()), line.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  std::size_t start = 0;
  while (start < bytes.size()) {
    std::size_t nl = bytes.find('\n', start);
    if (nl == std::string_view::npos) nl = bytes.size();
    check(bytes.substr(start, nl - start));
    start = nl + 1;
  }
  return 0;
}
