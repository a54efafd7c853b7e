// sim/stream_ledger: the stream CRC and the byte accounts the World checks per direction.
#include <doctest/doctest.h>

#include <string>

#include "common/prng.h"
#include "sim/stream_ledger.h"

using namespace ts;
using namespace ts::sim;

TEST_CASE("stream ledger: the CRC is CRC-32C, the same on every CPU, and extends a stream") {
  CHECK(crc32_extend(0, "") == 0);
  CHECK(crc32_extend(0, "123456789") == 0xE3069283u);  // the CRC-32C check value
  CHECK(crc32c_software(0, "123456789") == 0xE3069283u);
  Prng rng(7);
  for (std::size_t len = 0; len < 80; ++len) {
    std::string s(len, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng.below(256));
    CAPTURE(len);
    CHECK(crc32_extend(0, s) == crc32c_software(0, s));  // the CPU's instruction = the table
    for (std::size_t cut = 0; cut <= len; cut += 7)
      CHECK(crc32_extend(crc32_extend(0, s.substr(0, cut)), s.substr(cut)) == crc32_extend(0, s));
    if (len > 0) {
      std::string flipped = s;
      flipped[len / 2] = static_cast<char>(flipped[len / 2] ^ 0x10);
      CHECK(crc32_extend(0, flipped) != crc32_extend(0, s));
    }
  }
}

TEST_CASE("stream ledger: balance_error names what does not add up") {
  StreamLedger l;
  l.sent = 100;
  l.delivered = 60;
  l.in_flight = 30;
  l.discarded = 10;
  CHECK(balance_error(l).empty());
  l.discarded = 9;
  CHECK(balance_error(l) == "sent 100 bytes, but delivered 60 + in flight 30 + discarded 9");
  StreamLedger all;
  all.sent = all.delivered = 9;
  all.sent_crc = all.delivered_crc = crc32_extend(0, "123456789");
  CHECK(balance_error(all).empty());
  all.delivered_crc = crc32_extend(0, "123456788");
  CHECK(balance_error(all) ==
        "every byte delivered, but the receiver's CRC-32C differs from the sender's");
}
