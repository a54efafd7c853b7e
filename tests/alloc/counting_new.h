// Replaces the global operator new/delete with ones that count every allocation, for a
// binary that measures heap allocations (alloc_tests, bench/codec_bench). Include it in
// exactly one translation unit of the binary; the count covers all of its threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace ts::test {
inline std::atomic<std::uint64_t> g_allocations{0};
// Heap allocations (operator new calls) since the binary started.
inline std::uint64_t allocations() {
  return g_allocations.load(std::memory_order_relaxed);
}
}  // namespace ts::test

void* operator new(std::size_t n) {
  ts::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
