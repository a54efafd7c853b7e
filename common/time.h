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

}  // namespace ts
