#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "driver/chunked_buckets.h"

namespace ts {
namespace {

struct Ev {
  std::uint32_t id;
};
using Buckets = sim::ChunkedBuckets<Ev, 16>;
constexpr std::uint32_t kChunk = Buckets::kChunkEvents;

std::vector<std::uint32_t> drain_ids(Buckets& b, std::size_t bucket) {
  std::vector<std::uint32_t> ids;
  const std::size_t n = b.drain(bucket, [&](const Ev& e) { ids.push_back(e.id); });
  CHECK(n == ids.size());
  return ids;
}

TEST_CASE("chunked buckets: events leave in push order across chunks; buckets are separate") {
  Buckets b;
  CHECK(b.empty(3));
  for (std::uint32_t i = 0; i < 2 * kChunk + 8; ++i)
    b.push(3, Ev{i});
  b.push(7, Ev{1000});
  CHECK(!b.empty(3));
  CHECK(b.front(3).id == 0);
  CHECK(b.front(7).id == 1000);
  const auto ids = drain_ids(b, 3);
  REQUIRE(ids.size() == 2 * kChunk + 8);
  for (std::uint32_t i = 0; i < ids.size(); ++i)
    CHECK(ids[i] == i);
  CHECK(b.empty(3));
  CHECK(drain_ids(b, 3).empty());  // draining an empty bucket is a no-op
  CHECK(drain_ids(b, 7) == std::vector<std::uint32_t>{1000});
}

TEST_CASE("chunked buckets: a drained bucket's chunks are reused before any new one is made") {
  Buckets b;
  for (std::uint32_t i = 0; i < 2 * kChunk + 8; ++i)  // 3 chunks
    b.push(3, Ev{i});
  b.push(7, Ev{0});  // 1 chunk
  CHECK(b.chunks() == 4);
  drain_ids(b, 3);                                    // its 3 chunks are free now
  for (std::uint32_t i = 0; i < 2 * kChunk + 1; ++i)  // 3 chunks, all from the free list
    b.push(9, Ev{i});
  CHECK(b.chunks() == 4);
  for (std::uint32_t i = 0; i < kChunk; ++i)  // a 4th chunk for bucket 9: none is free
    b.push(9, Ev{i});
  CHECK(b.chunks() == 5);
  const auto ids = drain_ids(b, 9);
  CHECK(ids.size() == 3 * kChunk + 1);
  CHECK(ids.back() == kChunk - 1);
}

}  // namespace
}  // namespace ts
