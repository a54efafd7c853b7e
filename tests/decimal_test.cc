// write_decimal must write exactly what fmt::format_int writes (the encoder's previous
// digits, and serde_json's form), for every length and sign, within its room.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common/prng.h"
#include "node_core/decimal.h"

namespace ts {
namespace {

using node::kDecimalRoom;
using node::write_decimal;

// The text, and that nothing past the room was touched.
template <class Int>
std::string written(Int v) {
  std::array<char, kDecimalRoom + 8> buf;
  buf.fill('#');
  const char* end = write_decimal(buf.data(), v);
  for (std::size_t i = kDecimalRoom; i < buf.size(); ++i)
    REQUIRE(buf[i] == '#');
  REQUIRE(end > buf.data());
  REQUIRE(end <= buf.data() + kDecimalRoom);
  return std::string(static_cast<const char*>(buf.data()), end);
}

template <class Int>
void check(Int v) {
  const fmt::format_int reference(v);
  const std::string got = written(v);
  if (got != std::string_view(reference.data(), reference.size()))
    FAIL_CHECK(v, " written as ", got);  // one line per wrong value, then go on
}

TEST_CASE("decimal: every value to 1,000,000 and every power of ten's neighbours") {
  for (std::uint64_t v = 0; v <= 1'000'000; ++v)
    check(v);
  std::uint64_t p = 1;
  for (int e = 0; e <= 18; ++e, p *= 10)
    for (std::uint64_t d : {p - 1, p, p + 1, 2 * p - 1, 9 * p, 9 * p + 1})
      check(d);
  for (std::uint64_t d : {p - 1, p, p + 1})  // p = 10^19: 2 * 10^19 would not fit
    check(d);
  check(std::numeric_limits<std::uint64_t>::max());
  check(std::numeric_limits<std::uint64_t>::max() - 1);
}

TEST_CASE("decimal: random values of every length, unsigned and signed") {
  Prng rng(20261207);
  for (int i = 0; i < 500'000; ++i) {
    const std::uint64_t u = rng.next_u64() >> rng.below(64);  // every digit count
    check(u);
    check(static_cast<std::int64_t>(u));
    check(-static_cast<std::int64_t>(u >> 1));
  }
  check(std::numeric_limits<std::int64_t>::min());
  check(std::numeric_limits<std::int64_t>::max());
  check(std::int64_t{-1});
  check(std::int64_t{0});
}

}  // namespace
}  // namespace ts
