// Seeded pseudo-random numbers. One run seed drives everything: subsystems derive
// child streams with `Prng::derive(seed, stream_id)` in a fixed order and never share
// a generator. Integer-only arithmetic (no std::*_distribution, no libm) so results are
// identical across compilers and standard libraries.
//
// Generator: xoshiro256** seeded through splitmix64 (Blackman & Vigna).
#pragma once

#include <cstdint>

#include "common/assert.h"

namespace ts {

// splitmix64 step: advances `state` and returns the next output.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Mixes two words into one; used to derive child seeds from (parent, stream id).
inline std::uint64_t mix_seed(std::uint64_t parent, std::uint64_t stream) {
  std::uint64_t s = parent ^ (stream * 0xd1b54a32d192ed03ULL);
  std::uint64_t a = splitmix64(s);
  return a ^ splitmix64(s);
}

// An integer probability num/den, den > 0.
struct Ratio {
  std::uint64_t num = 0;
  std::uint64_t den = 1;
};

class Prng {
 public:
  explicit Prng(std::uint64_t seed = 0) { reseed(seed); }

  // A generator for child stream `stream` of `seed`: stable for a given pair.
  static Prng derive(std::uint64_t seed, std::uint64_t stream) {
    return Prng(mix_seed(seed, stream));
  }

  void reseed(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& w : s_)
      w = splitmix64(sm);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, bound), bound > 0. Lemire's multiply-shift with rejection: unbiased.
  std::uint64_t below(std::uint64_t bound) {
    TS_ASSERT(bound > 0);
    unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * bound;
    auto low = static_cast<std::uint64_t>(m);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next_u64()) * bound;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi] (inclusive), lo <= hi.
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    TS_ASSERT(lo <= hi);
    const auto span = static_cast<std::uint64_t>(hi - lo);
    if (span == UINT64_MAX) return static_cast<std::int64_t>(next_u64());
    return lo + static_cast<std::int64_t>(below(span + 1));
  }

  bool chance(Ratio p) {
    TS_ASSERT(p.den > 0);
    if (p.num >= p.den) return true;
    return below(p.den) < p.num;
  }

  // Approximately normal(mean, stddev) in integer arithmetic: the Irwin-Hall sum of 12
  // uniforms in [0, 2^20) has mean 6*2^20 and variance 2^40, so (sum - 6*2^20) / 2^20 is
  // close to a standard normal (bounded to +-6 sigma, which suits latency jitter). The
  // result saturates at the int64 range.
  std::int64_t normal(std::int64_t mean, std::int64_t stddev) {
    std::int64_t sum = 0;
    for (int i = 0; i < 12; ++i)
      sum += static_cast<std::int64_t>(next_u64() >> 44);
    const std::int64_t z_q20 = sum - (std::int64_t{6} << 20);
    const __int128 v = mean + ((static_cast<__int128>(z_q20) * stddev) >> 20);
    // saturate: a huge mean and stddev (scenario values) must not wrap around
    constexpr __int128 kMax = INT64_MAX, kMin = INT64_MIN;
    return static_cast<std::int64_t>(v > kMax ? kMax : v < kMin ? kMin : v);
  }

  // Exponential with the given mean (for inter-arrival times), integer-only: inversion
  // with a fixed-point log2. Precision ~1e-6 relative, plenty for fault schedules.
  std::int64_t exponential(std::int64_t mean);

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

namespace prng_detail {

// ln(x) for x in [1, 2] by the atanh series, evaluated at compile time only (so the table
// below is fixed by the IEEE arithmetic of the compiler, not by any run-time libm).
constexpr double ln_1_2(double x) {
  const double y = (x - 1) / (x + 1), y2 = y * y;
  double term = y, sum = 0;
  for (int k = 1; k < 80; k += 2) {
    sum += term / k;
    term *= y2;
  }
  return 2 * sum;
}

// kLog2Table[i] = log2(1 + i/256) in Q32, i = 0..256.
struct Log2Table {
  std::int64_t v[257];
  constexpr Log2Table() : v() {
    const double inv_ln2 = 1.0 / ln_1_2(2.0);
    for (int i = 0; i <= 256; ++i)
      v[i] = static_cast<std::int64_t>(ln_1_2(1.0 + i / 256.0) * inv_ln2 * 4294967296.0 + 0.5);
  }
};
inline constexpr Log2Table kLog2Table{};

}  // namespace prng_detail

// -ln(u) * mean for u uniform in (0, 1]: log2 from an integer leading-zero count plus a
// 257-entry table with linear interpolation (relative error ~3e-6), all integer at run time.
inline std::int64_t Prng::exponential(std::int64_t mean) {
  const std::uint64_t x = (next_u64() >> 11) + 1;  // u = x / 2^53, x in [1, 2^53]
  const int ip = 63 - __builtin_clzll(x);
  // mantissa bits below the leading one, as a Q44 fraction in [0, 1)
  const std::uint64_t m = ip >= 44 ? (x >> (ip - 44)) & ((std::uint64_t{1} << 44) - 1)
                                   : (x << (44 - ip)) & ((std::uint64_t{1} << 44) - 1);
  const auto idx = static_cast<std::size_t>(m >> 36);  // top 8 bits
  const std::int64_t frac = static_cast<std::int64_t>(m & ((std::uint64_t{1} << 36) - 1));
  const std::int64_t lo = prng_detail::kLog2Table.v[idx], hi = prng_detail::kLog2Table.v[idx + 1];
  const std::int64_t log2_frac =
      lo + static_cast<std::int64_t>((static_cast<__int128>(hi - lo) * frac) >> 36);
  const std::int64_t log2_x_q32 = (static_cast<std::int64_t>(ip) << 32) + log2_frac;
  const std::int64_t neg_log2_u_q32 = (std::int64_t{53} << 32) - log2_x_q32;  // -log2(x/2^53) >= 0
  // ln(u) = log2(u) * ln 2; ln 2 in Q32 = 2977044472
  const __int128 ln_q64 = static_cast<__int128>(neg_log2_u_q32) * 2977044472LL;
  return static_cast<std::int64_t>((ln_q64 * mean) >> 64);
}

}  // namespace ts
