// Virtual time. All simulated time is integer nanoseconds; never double seconds.
// SimTime is an absolute instant since the start of a run; Duration is a span.
// Both are plain int64_t so they stay PODs in events; units live in names (_ns).
#pragma once

#include <cstdint>
#include <limits>

namespace ts {

using SimTime = std::int64_t;   // ns since run start
using Duration = std::int64_t;  // ns

inline constexpr SimTime kNever = std::numeric_limits<SimTime>::max();

inline constexpr Duration kNanosecond = 1;
inline constexpr Duration kMicrosecond = 1000;
inline constexpr Duration kMillisecond = 1000 * kMicrosecond;
inline constexpr Duration kSecond = 1000 * kMillisecond;
inline constexpr Duration kMinute = 60 * kSecond;
inline constexpr Duration kHour = 60 * kMinute;

constexpr Duration seconds(std::int64_t s) {
  return s * kSecond;
}
constexpr Duration millis(std::int64_t ms) {
  return ms * kMillisecond;
}

// t + d, saturating: kNever (never) when the sum overflows upwards, the lowest SimTime when
// it overflows downwards. Use it wherever a scenario value (fault times, latencies,
// bandwidth delays, restart delays, clock offsets) is added to virtual time: the loader
// bounds each value, not their sums. A saturated kNever event lies beyond every run's end.
constexpr SimTime add_sat(SimTime t, Duration d) {
  SimTime out = 0;
  if (__builtin_add_overflow(t, d, &out))
    return d > 0 ? kNever : std::numeric_limits<SimTime>::min();
  return out;
}
// A 128-bit intermediate (e.g. bytes x 8 x 1 s / bps) as a Duration, saturating at kNever.
constexpr Duration clamp_duration(__int128 v) {
  if (v > static_cast<__int128>(kNever)) return kNever;
  if (v < static_cast<__int128>(std::numeric_limits<Duration>::min()))
    return std::numeric_limits<Duration>::min();
  return static_cast<Duration>(v);
}

}  // namespace ts
