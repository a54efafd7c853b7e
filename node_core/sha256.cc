#include "node_core/sha256.h"

#include <nettle/sha2.h>

namespace ts::node {

Sha256Digest sha256(std::span<const std::uint8_t> bytes) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, bytes.size(), bytes.data());
  Sha256Digest d;
  sha256_digest(&ctx, d.size(), d.data());
  return d;
}

std::uint64_t first_u64_le(const Sha256Digest& d) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= std::uint64_t{d[i]} << (8 * i);
  return v;
}

}  // namespace ts::node
