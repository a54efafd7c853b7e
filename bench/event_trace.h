// An event trace of a real timesim run, for replay through every scheduler in
// bench/scheduler_bench: which delays (ns) were scheduled before the first pop and while
// each popped event was dispatched, so a replay reproduces the run's queue exactly (same
// (at, seq) pops). Written by bench/event_trace_record at bench time, never committed.
//
// File: "TSEVTRC1", then unsigned LEB128 varints: the group count G, then G groups, each
// its size k and k delays (ns, >= 0); group 0 is scheduled at time 0, group i (i >= 1)
// when the i-th pop happens, at that event's time. Then the checksum of the run's own
// pops (sum of at ^ seq over the G pops), for the replay to match; a replay of only the
// first N pops is checked by the bench's cross-queue comparison alone.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ts::bench {

struct EventTrace {
  std::vector<std::uint64_t> group_start;  // group i's delays: [group_start[i], [i + 1])
  std::vector<std::int64_t> delays_ns;
  std::uint64_t pop_checksum = 0;  // of the G pops the replay makes
  std::size_t groups() const { return group_start.empty() ? 0 : group_start.size() - 1; }
  // The most events pending at once during the replay of the first `pops` pops.
  std::uint64_t peak_pending(std::uint64_t pops) const {
    std::uint64_t peak = 0;
    for (std::uint64_t g = 0; g < pops && g < groups(); ++g)  // after group g, before pop g+1
      peak = std::max(peak, group_start[g + 1] - g);
    return peak;
  }
};

inline void put_varint(std::FILE* f, std::uint64_t v) {
  while (v >= 0x80) {
    std::fputc(static_cast<int>((v & 0x7f) | 0x80), f);
    v >>= 7;
  }
  std::fputc(static_cast<int>(v), f);
}

inline bool get_varint(std::FILE* f, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const int c = std::fgetc(f);
    if (c == EOF) return false;
    v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

inline bool write_event_trace(const std::string& path, const EventTrace& t) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  std::fputs("TSEVTRC1", f);
  put_varint(f, t.groups());
  for (std::size_t g = 0; g < t.groups(); ++g) {
    put_varint(f, t.group_start[g + 1] - t.group_start[g]);
    for (std::uint64_t i = t.group_start[g]; i < t.group_start[g + 1]; ++i)
      put_varint(f, static_cast<std::uint64_t>(t.delays_ns[i]));
  }
  put_varint(f, t.pop_checksum);
  return std::fclose(f) == 0;
}

// Returns false (and leaves `t` partial) on a missing, truncated or foreign file.
inline bool read_event_trace(const std::string& path, EventTrace& t) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[8];
  bool ok = std::fread(magic, 1, 8, f) == 8 && std::string(magic, 8) == "TSEVTRC1";
  std::uint64_t groups = 0;
  ok = ok && get_varint(f, groups);
  t = EventTrace{};
  t.group_start.push_back(0);
  for (std::uint64_t g = 0; ok && g < groups; ++g) {
    std::uint64_t k = 0;
    ok = get_varint(f, k);
    for (std::uint64_t i = 0; ok && i < k; ++i) {
      std::uint64_t d = 0;
      ok = get_varint(f, d);
      t.delays_ns.push_back(static_cast<std::int64_t>(d));
    }
    t.group_start.push_back(t.delays_ns.size());
  }
  ok = ok && get_varint(f, t.pop_checksum);
  std::fclose(f);
  return ok;
}

}  // namespace ts::bench
