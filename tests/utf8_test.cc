// node_core/utf8: Rust's str::from_utf8 rules, at every alignment (the validator skips
// eight ASCII bytes at a time, so each sequence is tried at offsets 0..16).
#include <doctest/doctest.h>

#include <string>

#include "node_core/utf8.h"

using ts::node::is_utf8;

TEST_CASE("utf8: well-formed sequences pass and malformed ones fail, at every offset") {
  const char* const valid[] = {"",
                               "plain ascii",
                               "\xC3\xA9",
                               "\xE2\x82\xAC",
                               "\xF0\x9F\x98\x80",
                               "\xF4\x8F\xBF\xBF",
                               "\xED\x9F\xBF",
                               "\xEE\x80\x80"};
  const char* const invalid[] = {
      "\x80",              // a lone continuation byte
      "\xC0\x80",          // overlong NUL
      "\xC1\xBF",          // overlong
      "\xE0\x80\x80",      // overlong 3-byte
      "\xED\xA0\x80",      // a surrogate (U+D800)
      "\xF0\x80\x80\x80",  // overlong 4-byte
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xF5\x80\x80\x80",  // no such lead byte
      "\xC3",              // truncated
      "\xE2\x82",          // truncated
      "\xC3\x28",          // a bad continuation
      "\xFF",
  };
  for (int pad = 0; pad <= 16; ++pad) {
    CAPTURE(pad);
    const std::string a(static_cast<std::size_t>(pad), 'a');
    for (const char* v : valid) {
      CAPTURE(v);
      CHECK(is_utf8(a + v));
      CHECK(is_utf8(a + v + a));
    }
    for (const char* v : invalid) {
      CAPTURE(v);
      CHECK_FALSE(is_utf8(a + v));
      CHECK_FALSE(is_utf8(a + v + a));
    }
  }
  CHECK(is_utf8(std::string(64, 'x')));
  CHECK_FALSE(is_utf8(std::string(63, 'x') + "\x80"));
}
