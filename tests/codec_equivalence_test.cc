// The wire codec (node_core/codec_encode.cc, codec_decode.cc) against the nlohmann DOM codec
// it replaced (tests/reference_codec.cc): same messages, same error kinds and details, same
// bytes. fuzz/fuzz_codec_diff.cc runs the same check under libFuzzer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/prng.h"
#include "node_core/chain.h"
#include "tests/codec_diff.h"

using namespace ts::node;

namespace {

// Every line of every input of the committed wire and codec_diff corpora, and each input as
// one line.
std::vector<std::string> corpus_lines() {
  std::vector<std::filesystem::path> files;
  for (const char* dir :
       {TIMESIM_SOURCE_DIR "/tests/fuzz/wire", TIMESIM_SOURCE_DIR "/tests/fuzz/codec_diff"})
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> lines;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    lines.push_back(bytes);
    std::size_t start = 0;
    while (start < bytes.size()) {
      std::size_t nl = bytes.find('\n', start);
      if (nl == std::string::npos) nl = bytes.size();
      lines.push_back(bytes.substr(start, nl - start));
      start = nl + 1;
    }
  }
  return lines;
}

DecodeErrorKind error_kind(std::string_view line) {
  const auto d = decode_line(line);
  REQUIRE_FALSE(d.ok());
  return d.error().kind;
}

}  // namespace

TEST_CASE("codec equivalence: the committed corpora decode as the reference decodes them") {
  const auto lines = corpus_lines();
  REQUIRE(lines.size() > 1000);
  std::size_t decoded = 0;
  for (const auto& line : lines) {
    CAPTURE(line);
    CHECK(codec_difference(line) == "");
    decoded += decode_line(line).ok();
  }
  CHECK(decoded > 100);  // the corpus holds valid messages as well as bad lines
}

// Corner cases of nlohmann's parser and of the DOM semantics, each with the outcome the
// reference gives (checked here directly, not only as "the same as the reference").
TEST_CASE("codec equivalence: JSON corner cases") {
  using K = DecodeErrorKind;
  const std::string nul_tail = std::string("\"GetPeers\"\0garbage", 18);
  const struct {
    std::string line;
    bool ok;
    K kind;
  } cases[] = {
      {nul_tail, true, K::kInvalidJson},                      // a NUL ends the input
      {std::string("{\"Ping\0", 7), false, K::kInvalidJson},  // ... also mid-value
      {"\xEF\xBB\xBF\"GetPeers\"", true, K::kInvalidJson},    // a BOM is skipped
      {"\xEF\xBB \"GetPeers\"", false, K::kInvalidJson},      // a broken BOM is not
      {"{\"Ping\":{\"nonce\":1e999,\"timestamp\":1}}", false, K::kInvalidJson},  // overflow
      {"{\"Ping\":{\"nonce\":1e-999,\"timestamp\":1}}", false, K::kInvalidFields},
      {"{\"Ping\":{\"nonce\":-0,\"timestamp\":1}}", true, K::kInvalidJson},  // -0 is a u64
      {"{\"Ping\":{\"nonce\":18446744073709551616,\"timestamp\":1}}", false, K::kInvalidFields},
      {"{\"Ping\":{\"nonce\":1,\"timestamp\":-9223372036854775808}}", true, K::kInvalidJson},
      {"{\"Ping\":{\"nonce\":1,\"timestamp\":9223372036854775808}}", false, K::kInvalidFields},
      {"{\"Ping\":{\"nonce\":1.0,\"timestamp\":1}}", false, K::kInvalidFields},
      {"{\"Ping\":{\"nonce\":01,\"timestamp\":1}}", false, K::kInvalidJson},
      {"{\"Ping\":{\"nonce\":1,\"nonce\":\"x\",\"timestamp\":1}}", false, K::kInvalidFields},
      {"{\"Ping\":{\"nonce\":\"x\",\"nonce\":1,\"timestamp\":1}}", true, K::kInvalidJson},
      {"{\"Ping\":{\"nonce\":1},\"Ping\":{\"nonce\":2,\"timestamp\":3}}", true, K::kInvalidJson},
      {"{\"Ping\":{\"nonce\":1,\"timestamp\":3},\"Ping\":{}}", false, K::kInvalidFields},
      {"{\"Ping\":{},\"Pong\":{}}", false, K::kUnknownVariant},
      {"{\"P\\u0069ng\":{\"n\\u006fnce\":1,\"timestamp\":2}}", true, K::kInvalidJson},
      {"{\"Ping\":{\"nonce\":1,\"timestamp\":2,}}", false, K::kInvalidJson},
      {"{\"Ping\":{\"nonce\":1,\"timestamp\":\"x\"}} x", false, K::kInvalidJson},
      {"{\"Nope\":[1,2,{\"a\":[]}]}", false, K::kUnknownVariant},
      {"{\"Ack\":{\"message_type\":\"\\ud83d\\ude00\"}}", true, K::kInvalidJson},
      {"{\"Ack\":{\"message_type\":\"\\ud83d\"}}", false, K::kInvalidJson},  // lone surrogate
      {"{\"Ack\":{\"message_type\":\"\\ude00\"}}", false, K::kInvalidJson},
      {"{\"Ack\":{\"message_type\":\"\xC0\xAF\"}}", false, K::kInvalidJson},      // overlong
      {"{\"Ack\":{\"message_type\":\"\xED\xA0\x80\"}}", false, K::kInvalidJson},  // surrogate
      {"{\"Ack\":{\"message_type\":\"\xF4\x8F\xBF\xBF\"}}", true, K::kInvalidJson},
      {"{\"Handshake\":{\"magic\":[84,73,77,-0],\"protocol_version\":1,\"network\":\"t\"}}", false,
       K::kInvalidFields},  // -0 is not an unsigned byte
      {"{\"BlockCommit\":{\"block_hash\":1,\"height\":1,\"signatures\":[[\"a\",[]],[\"b\"]]}}",
       false, K::kInvalidFields},
      {"{\"GetPeers\":null}", false, K::kInvalidFields},
      {"{\"GetMasternodes\":{\"b\":1,\"a\":[1.50,2e3],\"b\":2}}", true, K::kInvalidJson},
      {std::string(20000, '[') + std::string(20000, ']'), false, K::kUnknownVariant},
      {std::string(20000, '[') + std::string(19999, ']'), false, K::kInvalidJson},
      {"", false, K::kInvalidJson},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    CHECK(codec_difference(c.line) == "");
    CHECK(decode_line(c.line).ok() == c.ok);
    if (!c.ok) CHECK(error_kind(c.line) == c.kind);
  }
  auto opaque = decode_line("{\"GetMasternodes\":{\"b\":1,\"a\":[1.50,2e3],\"b\":2}}");
  REQUIRE(opaque.ok());
  CHECK(std::get<Opaque>(*opaque).payload_json == "{\"a\":[1.5,2000.0],\"b\":2}");
}

// decode_line reads the exact bytes encode() writes for Ping and Pong without the cursor
// (codec_decode.cc); at the edges of that shape the general decoder must take over.
TEST_CASE("codec equivalence: the edges of the canonical Ping/Pong shape") {
  const auto ping = [](std::string_view nonce, std::string_view ts, std::string_view tail = "}}") {
    return "{\"Ping\":{\"nonce\":" + std::string(nonce) + ",\"timestamp\":" + std::string(ts) +
           std::string(tail);
  };
  const struct {
    std::string line;
    bool ok;
    std::uint64_t nonce;
    std::int64_t timestamp;
  } cases[] = {
      {ping("0", "0"), true, 0, 0},
      {ping("9999999999999999999", "1"), true, 9999999999999999999u, 1},    // 19 digits
      {ping("10000000000000000000", "1"), true, 10000000000000000000u, 1},  // 20 digits
      {ping("12345678", "87654321"), true, 12345678, 87654321},             // 8 digits at a time
      {ping("1234567890123456", "1"), true, 1234567890123456u, 1},
      {ping("12345678901234567", "1"), true, 12345678901234567u, 1},
      {ping("1234/678", "1"), false, 0, 0},  // '/' and ':' around the digits, in an 8-byte
      {ping("1234567:", "1"), false, 0, 0},  // block
      {ping("12345678/2345678", "1"), false, 0, 0},
      {ping("123456781234567:", "1"), false, 0, 0},
      {ping("18446744073709551615", "1"), true, 18446744073709551615u, 1},  // u64 max
      {ping("18446744073709551616", "1"), false, 0, 0},                     // over u64
      {ping("99999999999999999999", "1"), false, 0, 0},                     // 20, over u64
      {ping("184467440737095516150", "1"), false, 0, 0},                    // 21 digits
      {ping("000000000000000000001", "1"), false, 0, 0},                    // 21, zeros
      {ping("1", "9223372036854775807"), true, 1, INT64_MAX},               // i64 max
      {ping("1", "9223372036854775808"), false, 0, 0},                      // over i64
      {ping("1", "9999999999999999999"), false, 0, 0},                      // 19, over i64
      {ping("1", "-5"), true, 1, -5},                                       // sign: general
      {ping("00", "1"), false, 0, 0},                                       // leading zero
      {ping("1", "01"), false, 0, 0},
      {ping("1", "2", "}}}"), false, 0, 0},  // trailing byte
      {ping("1", "2", "} }"), true, 1, 2},   // space: general
      {ping("1", "2", "}"), false, 0, 0},    // unfinished
      {ping("1", "2.0"), false, 0, 0},
      {ping("1", "2e0"), false, 0, 0},
      {ping("1e0", "2"), false, 0, 0},
      {ping("1", "2", std::string("}}\0x", 4)), true, 1, 2},  // NUL ends input
      {"{\"Pong\":{\"nonce\":7,\"timestamp\":8}}", true, 7, 8},
      {"{\"Pong\":{\"nonce\":7,\"timestamp\":8}} ", true, 7, 8},         // trimmed
      {"{\"Pong\":{\"timestamp\":8,\"nonce\":7}}", true, 7, 8},          // key order
      {"{\"Pong\":{\"nonce\":7,\"timestamp\":8,\"x\":1}}", true, 7, 8},  // extra key
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    CHECK(codec_difference(c.line) == "");
    const auto d = decode_line(c.line);
    REQUIRE(d.ok() == c.ok);
    if (!c.ok) continue;
    if (const auto* p = std::get_if<Ping>(&*d)) {
      CHECK(p->nonce == c.nonce);
      CHECK(p->timestamp == c.timestamp);
    } else {
      const auto* q = std::get_if<Pong>(&*d);
      REQUIRE(q);
      CHECK(q->nonce == c.nonce);
      CHECK(q->timestamp == c.timestamp);
    }
  }
}

namespace {

// One random edit of `s`: bytes flipped, inserted, deleted or duplicated, a splice with
// another line, a number replaced by another JSON value, or a member inserted into an
// object (a repeated or unknown key). The last two keep a valid line valid.
void mutate(ts::Prng& rng, const std::vector<std::string>& lines, std::string& s) {
  static const char kTokens[] = "{}[]\",:0-1e.\\u\0 \xEF\xFF\xC3tfn";
  static const char* const kValues[] = {"-0",
                                        "0",
                                        "255",
                                        "256",
                                        "4294967296",
                                        "18446744073709551615",
                                        "18446744073709551616",
                                        "9999999999999999999",
                                        "10000000000000000000",
                                        "99999999999999999999",
                                        "-9999999999999999999",
                                        "-9223372036854775808",
                                        "-9223372036854775809",
                                        "1.0",
                                        "1e400",
                                        "-1",
                                        "\"x\"",
                                        "null",
                                        "true",
                                        "false",
                                        "[]",
                                        "{}",
                                        "[1,2]",
                                        "[\"a\",[]]",
                                        "\"\\u0041\""};
  static const char* const kKeys[] = {"nonce",
                                      "timestamp",
                                      "magic",
                                      "protocol_version",
                                      "network",
                                      "message_type",
                                      "masternode_address",
                                      "sequence_number",
                                      "header",
                                      "height",
                                      "previous_hash",
                                      "producer",
                                      "hash",
                                      "transactions",
                                      "block",
                                      "proposer",
                                      "round",
                                      "block_hash",
                                      "voter",
                                      "approve",
                                      "signatures",
                                      "txid",
                                      "Ping",
                                      "x"};
  const std::size_t at = s.empty() ? 0 : rng.below(s.size());
  switch (rng.below(7)) {
    case 0:
      if (!s.empty()) s[at] = static_cast<char>(rng.below(256));
      break;
    case 1:
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(at),
               kTokens[rng.below(sizeof(kTokens) - 1)]);
      break;
    case 2:
      if (!s.empty()) s.erase(at, 1 + rng.below(4));
      break;
    case 3:
      if (!s.empty()) s.insert(at, s.substr(at, 1 + rng.below(8)));
      break;
    case 4: {
      const std::string& other = lines[rng.below(lines.size())];
      s = s.substr(0, at) + other.substr(other.empty() ? 0 : rng.below(other.size()));
      break;
    }
    case 5: {  // the number at or after `at`
      const std::size_t d = s.find_first_of("0123456789", at);
      if (d == std::string::npos) break;
      const std::size_t e = s.find_first_not_of("0123456789", d);
      s.replace(d, (e == std::string::npos ? s.size() : e) - d,
                kValues[rng.below(std::size(kValues))]);
      break;
    }
    default: {  // after the '{' at or after `at`
      const std::size_t o = s.find('{', at);
      if (o == std::string::npos) break;
      const std::string member = std::string("\"") + kKeys[rng.below(std::size(kKeys))] +
                                 "\":" + kValues[rng.below(std::size(kValues))];
      s.insert(o + 1, s[o + 1] == '}' ? member : member + ",");
    }
  }
}

}  // namespace

// Random edits (mutate) of the corpus lines, half of them lines the reference decodes, with the
// project Prng (stream "codec equivalence"). 200,000 of them, or TIMESIM_CODEC_MUTATIONS
// (the long run in results/fuzzing.md).
TEST_CASE("codec equivalence: seeded mutations of the corpus") {
  auto lines = corpus_lines();
  std::vector<std::string> valid_lines;
  for (const auto& l : lines)
    if (reference::decode_line(l).ok()) valid_lines.push_back(l);
  REQUIRE(valid_lines.size() > 100);
  const char* env = std::getenv("TIMESIM_CODEC_MUTATIONS");
  const long long count = env ? std::atoll(env) : 200000;
  ts::Prng rng = ts::Prng::derive(1, /*stream: codec equivalence*/ 19);
  std::size_t mismatches = 0, valid = 0;
  for (long long i = 0; i < count; ++i) {
    const auto& from = rng.below(2) ? valid_lines : lines;
    std::string s = from[rng.below(from.size())];
    const int edits = 1 + static_cast<int>(rng.below(3));
    for (int e = 0; e < edits; ++e)
      mutate(rng, lines, s);
    valid += decode_line(s).ok();
    const std::string diff = codec_difference(s);
    if (!diff.empty() && mismatches++ < 5) FAIL_CHECK(diff << " for: " << s);
  }
  CHECK(mismatches == 0);
  MESSAGE(count << " mutated lines compared (" << valid << " valid messages), " << mismatches
                << " differed");
}

TEST_CASE("codec equivalence: encode writes the reference's bytes for every string byte") {
  std::string all_ascii;
  for (int c = 1; c < 0x80; ++c)
    all_ascii += static_cast<char>(c);
  const std::string text =
      all_ascii + "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" + std::string(1, '\0');
  const Block b{3, 2, -5, text, 7, {0, 18446744073709551615ull}};
  const Message msgs[] = {
      Handshake{{0, 1, 254, 255}, 4294967295u, text},
      Ack{text},
      Ping{0, INT64_MIN},
      Pong{18446744073709551615ull, INT64_MAX},
      PeersResponse{{text, "", "\"\\"}},
      PeersResponse{},
      Heartbeat{text, 0, -1},
      BlockHeightResponse{0},
      GetBlocks{18446744073709551615ull, 0},
      BlocksResponse{{b, genesis_block()}},
      BlocksResponse{},
      BlockProposal{b, text, 9},
      BlockVote{1, 2, text, false},
      BlockCommit{1, 2, {text, "x"}},
      BlockCommit{1, 2, {}},
      TransactionBroadcast{1, -2},
      TransactionVote{3, text, false, 4},
      Opaque{MsgKind::kBlockAnnouncement, "{\"z\":[]}"},
      Opaque{MsgKind::kGetMasternodes, ""},
  };
  for (const auto& m : msgs) {
    const std::string now = encode(m);
    CAPTURE(now);
    CHECK(now == reference::encode(m));
    std::string appended = "x";  // appends, keeping what the buffer held
    encode(m, appended);
    CHECK(appended == "x" + now);
    if (!std::holds_alternative<Opaque>(m))
      CHECK(codec_difference(std::string_view(now).substr(0, now.size() - 1)) == "");
  }
}
