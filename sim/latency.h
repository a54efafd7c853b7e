// One-way latency models for a link direction. A sample is a delay in ns >= floor_ns.
// Jitter never reorders bytes: the link delivers at max(now + sample, previous arrival).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/prng.h"
#include "common/time.h"

namespace ts::sim {

enum class LatencyKind : std::uint8_t { kFixed, kUniform, kNormal };
std::string_view latency_kind_name(LatencyKind k);

struct LatencyModel {
  LatencyKind kind = LatencyKind::kFixed;
  Duration value_ns = 0;   // fixed: the delay; normal: the mean
  Duration min_ns = 0;     // uniform: lower bound; normal: floor (truncation)
  Duration max_ns = 0;     // uniform: upper bound
  Duration stddev_ns = 0;  // normal

  static LatencyModel fixed(Duration d) { return {LatencyKind::kFixed, d, 0, 0, 0}; }
  static LatencyModel uniform(Duration lo, Duration hi) {
    return {LatencyKind::kUniform, 0, lo, hi, 0};
  }
  static LatencyModel normal(Duration mean, Duration stddev, Duration floor) {
    return {LatencyKind::kNormal, mean, floor, 0, stddev};
  }

  Duration sample(Prng& rng) const {
    switch (kind) {
      case LatencyKind::kFixed:
        return value_ns;
      case LatencyKind::kUniform:
        return rng.uniform(min_ns, max_ns);
      case LatencyKind::kNormal: {
        const Duration d = rng.normal(value_ns, stddev_ns);
        return d < min_ns ? min_ns : d;
      }
    }
    return value_ns;
  }
  // The typical delay (fixed value, uniform midpoint, normal mean), for reports.
  Duration typical_ns() const {
    return kind == LatencyKind::kUniform ? (min_ns + max_ns) / 2 : value_ns;
  }
};

}  // namespace ts::sim
