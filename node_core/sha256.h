// SHA-256 (FIPS 180-4) through Debian's nettle: the hash upstream's leader and producer
// selection use (sha2::Sha256 in bft_consensus.rs and main.rs at 31ad283).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace ts::node {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::span<const std::uint8_t> bytes);

// The digest's first 8 bytes as a little-endian integer: upstream's
// `u64::from_le_bytes(hash[0..8])` (bft_consensus.rs) and its byte loop in main.rs.
std::uint64_t first_u64_le(const Sha256Digest& d);

}  // namespace ts::node
