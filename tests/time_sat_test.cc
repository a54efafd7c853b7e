// Saturating virtual-time arithmetic (common/time.h) and the saturating normal draw
// (common/prng.h): scenario values are bounded one by one (durations <= 100 years), but
// their sums and the +-6 sigma tail of a latency draw are not.
#include <doctest/doctest.h>

#include <limits>

#include "common/prng.h"
#include "common/time.h"

using namespace ts;

TEST_CASE("time: add_sat saturates at kNever and at the lowest SimTime, exact otherwise") {
  constexpr SimTime kMin = std::numeric_limits<SimTime>::min();
  CHECK(add_sat(5, 7) == 12);
  CHECK(add_sat(kNever - 5, 5) == kNever);
  CHECK(add_sat(kNever - 5, 6) == kNever);
  CHECK(add_sat(kNever, kNever) == kNever);
  CHECK(add_sat(kMin + 1, -2) == kMin);
  CHECK(add_sat(seconds(1), -millis(1)) == millis(999));
  CHECK(clamp_duration(static_cast<__int128>(kNever) * 4) == kNever);
  CHECK(clamp_duration(-static_cast<__int128>(kNever) * 4) == kMin);
  CHECK(clamp_duration(123) == 123);
}

TEST_CASE("prng: a normal draw with a huge mean and stddev saturates instead of wrapping") {
  // normal(0, 2^20) returns z in Q20 exactly; the same stream with mean = stddev = 3e18
  // must return mean + z * stddev, clamped to the int64 range (z up to +-6).
  const std::int64_t big = 3'000'000'000'000'000'000;
  Prng z_rng(42), rng(42);
  int saturated = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t z_q20 = z_rng.normal(0, std::int64_t{1} << 20);
    const __int128 want = big + ((static_cast<__int128>(z_q20) * big) >> 20);
    const std::int64_t got = rng.normal(big, big);
    if (want > std::numeric_limits<std::int64_t>::max()) {
      ++saturated;
      CHECK(got == std::numeric_limits<std::int64_t>::max());
    } else {
      CHECK(got == static_cast<std::int64_t>(want));
    }
  }
  CHECK(saturated > 0);  // z > 2.07 happens (about 2% of draws)
}
