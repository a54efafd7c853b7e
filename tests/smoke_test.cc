#include <doctest/doctest.h>
#include "common/prng.h"
TEST_CASE("prng is seeded") { CHECK(ts::Prng(1).next_u64() != ts::Prng(2).next_u64()); }
