#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "node_core/chain.h"
#include "node_core/codec.h"

using namespace ts::node;

TEST_CASE("codec: exact wire bytes of the serde externally tagged enum") {
  CHECK(encode(Ping{1234567890, 1734570000}) ==
        "{\"Ping\":{\"nonce\":1234567890,\"timestamp\":1734570000}}\n");
  CHECK(encode(Pong{18446744073709551615ULL, -1}) ==
        "{\"Pong\":{\"nonce\":18446744073709551615,\"timestamp\":-1}}\n");
  CHECK(
      encode(Handshake{kMagic, 1, "testnet"}) ==
      "{\"Handshake\":{\"magic\":[84,73,77,69],\"protocol_version\":1,\"network\":\"testnet\"}}\n");
  CHECK(encode(Ack{"Handshake"}) == "{\"Ack\":{\"message_type\":\"Handshake\"}}\n");
  CHECK(encode(GetPeers{}) == "\"GetPeers\"\n");
  CHECK(encode(PeersResponse{{"1.2.3.4:24100", "5.6.7.8:24100"}}) ==
        "{\"PeersResponse\":[\"1.2.3.4:24100\",\"5.6.7.8:24100\"]}\n");
  CHECK(encode(Opaque{MsgKind::kGetMasternodes, ""}) == "\"GetMasternodes\"\n");
  CHECK(encode(Opaque{MsgKind::kGetBlocks, "[1,5]"}) == "{\"GetBlocks\":[1,5]}\n");
}

TEST_CASE("codec: decode round-trips every modelled variant") {
  const Message msgs[] = {
      Handshake{kMagic, 1, "mainnet"},
      Ack{"Handshake"},
      Ping{7, 8},
      Pong{9, 10},
      GetPeers{},
      PeersResponse{{"a:1"}},
      Heartbeat{"1.2.3.4", 3, 1766106000},
      GetBlockHeight{},
      BlockHeightResponse{12},
      GetBlocks{1, 101},
      BlocksResponse{{genesis_block(), Block{1, 5, 600, "1.2.3.4", 99, {7, 8}}}},
      BlockProposal{Block{1, 5, 600, "1.2.3.4", 99, {}}, "1.2.3.4", 0},
      BlockVote{0xfedcba9876543210ull, 1, "5.6.7.8", true},
      BlockCommit{99, 1, {"1.2.3.4", "5.6.7.8"}},
      TransactionBroadcast{42, 1766106000},
      TransactionVote{42, "5.6.7.8", true, 1766106001},
      Opaque{MsgKind::kMasternodeAnnouncement, "{\"x\":1}"}};
  for (const auto& m : msgs) {
    const std::string wire = encode(m);
    CAPTURE(wire);
    auto d = decode_line(std::string_view(wire).substr(0, wire.size() - 1));
    REQUIRE(d.ok());
    CHECK(kind_of(*d) == kind_of(m));
    CHECK(encode(*d) == wire);
  }
}

TEST_CASE("codec: bad lines are error values, not exceptions") {
  auto kind = [](std::string_view line) {
    auto d = decode_line(line);
    REQUIRE_FALSE(d.ok());
    return d.error().kind;
  };
  CHECK(kind("") == DecodeErrorKind::kInvalidJson);
  CHECK(kind("{\"Ping\":{\"nonce\":1,\"timestamp\":2}}x") ==
        DecodeErrorKind::kInvalidJson);  // trailing
  CHECK(kind("{\"Ping\":{\"nonce\":1,\"timestamp\":2}} {}") == DecodeErrorKind::kInvalidJson);
  CHECK(kind("~W~M\x01\x02garbage") == DecodeErrorKind::kInvalidJson);  // old binary protocol
  CHECK(kind("\"Pingg\"") == DecodeErrorKind::kUnknownVariant);
  CHECK(kind("{\"Nope\":{}}") == DecodeErrorKind::kUnknownVariant);
  CHECK(kind("{\"Ping\":{},\"Pong\":{}}") == DecodeErrorKind::kUnknownVariant);
  CHECK(kind("42") == DecodeErrorKind::kUnknownVariant);
  CHECK(kind("{\"Ping\":{\"nonce\":-1,\"timestamp\":2}}") == DecodeErrorKind::kInvalidFields);
  CHECK(kind("{\"Ping\":{\"nonce\":1}}") == DecodeErrorKind::kInvalidFields);
  CHECK(kind("{\"Handshake\":{\"magic\":[84,73,77],\"protocol_version\":1,\"network\":\"x\"}}") ==
        DecodeErrorKind::kInvalidFields);
  CHECK(
      kind("{\"Handshake\":{\"magic\":[84,73,77,300],\"protocol_version\":1,\"network\":\"x\"}}") ==
      DecodeErrorKind::kInvalidFields);
  CHECK(kind("\"Ping\"") == DecodeErrorKind::kInvalidFields);  // Ping needs fields
  CHECK(kind("{\"GetPeers\":{}}") == DecodeErrorKind::kInvalidFields);
}

TEST_CASE("codec: surrounding whitespace and CR are trimmed, as upstream trims lines") {
  auto d = decode_line("  \"GetPeers\"\r");
  REQUIRE(d.ok());
  CHECK(kind_of(*d) == MsgKind::kGetPeers);
}

TEST_CASE("codec: a wrong magic still decodes (the listener rejects it, not the codec)") {
  auto d =
      decode_line("{\"Handshake\":{\"magic\":[1,2,3,4],\"protocol_version\":2,\"network\":\"x\"}}");
  REQUIRE(d.ok());
  const auto& h = std::get<Handshake>(*d);
  CHECK(h.magic[0] == 1);
  CHECK(h.protocol_version == 2);
}

TEST_CASE("line buffer: partial lines, several lines per chunk") {
  LineBuffer b;
  b.append("{\"Pi");
  CHECK_FALSE(b.next_line().has_value());
  b.append("ng\":1}\n\"GetPeers\"\n\"Ge");
  auto l1 = b.next_line();
  REQUIRE(l1);
  CHECK(*l1 == "{\"Ping\":1}");
  auto l2 = b.next_line();
  REQUIRE(l2);
  CHECK(*l2 == "\"GetPeers\"");
  CHECK_FALSE(b.next_line().has_value());
  CHECK(b.buffered_bytes() == 3);
  b.append("tPeers\"\n");
  auto l3 = b.next_line();
  REQUIRE(l3);
  CHECK(*l3 == "\"GetPeers\"");
  CHECK(b.buffered_bytes() == 0);
}

TEST_CASE("line buffer: byte-at-a-time feeding yields the same lines") {
  const std::string wire = encode(Ping{1, 2}) + encode(GetPeers{}) + encode(Ack{"Handshake"});
  LineBuffer b;
  int lines = 0;
  for (char c : wire) {
    b.append(std::string_view(&c, 1));
    while (auto l = b.next_line()) {
      CHECK(decode_line(*l).ok());
      ++lines;
    }
  }
  CHECK(lines == 3);
}

TEST_CASE("line buffer: a maximum line length is enforced, unlimited by default") {
  // (append() does not copy: the bytes must live until the buffer has been drained)
  const std::string seventeen(17, 'x');
  LineBuffer limited(16);
  limited.append(seventeen);
  CHECK_FALSE(limited.next_line().has_value());
  CHECK(limited.overflowed());
  CHECK(limited.buffered_bytes() == 0);  // the oversized partial line is not kept

  const std::string mebibyte(1 << 20, 'x');
  LineBuffer unlimited;
  unlimited.append(mebibyte);
  CHECK_FALSE(unlimited.next_line().has_value());
  CHECK_FALSE(unlimited.overflowed());
  unlimited.append("\n");
  auto l = unlimited.next_line();
  REQUIRE(l);
  CHECK(l->size() == (1u << 20));
}

TEST_CASE("line buffer: an oversized line is dropped as it streams in and reported once") {
  const std::string ping = encode(Ping{1, 2});
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    CAPTURE(chunk);
    LineBuffer b(1000);
    // A good line, a 10 MB line, a good line: in chunks of `chunk` bytes.
    const std::string wire = ping + std::string(10'000'000, 'y') + "\n" + ping;
    std::vector<LineBuffer::Item::Kind> kinds;
    std::uint64_t reported = 0;
    std::size_t peak = 0;
    for (std::size_t i = 0; i < wire.size(); i += chunk) {
      b.append(std::string_view(wire).substr(i, chunk));
      peak = std::max(peak, b.buffered_bytes());
      while (true) {
        const auto it = b.next();
        if (it.kind == LineBuffer::Item::Kind::kNone) break;
        kinds.push_back(it.kind);
        if (it.kind == LineBuffer::Item::Kind::kOversized) reported = it.bytes;
        if (it.kind == LineBuffer::Item::Kind::kLine) CHECK(decode_line(it.line).ok());
      }
    }
    using K = LineBuffer::Item::Kind;
    CHECK(kinds == std::vector<K>{K::kLine, K::kOversized, K::kLine});
    CHECK(reported == 10'000'000);  // the full length, though never held
    CHECK(b.oversized() == 1);
    CHECK(peak <= 1000 + chunk);  // bounded: the limit plus one read
  }
}

TEST_CASE("line buffer: whole lines are views of the input; only a partial line is copied") {
  const std::string wire = encode(Ping{1, 2}) + encode(Pong{1, 2});
  LineBuffer b;
  b.append(wire);
  const auto first = b.next();
  REQUIRE(first.kind == LineBuffer::Item::Kind::kLine);
  CHECK(first.line.data() == wire.data());  // no copy
  CHECK(b.next().kind == LineBuffer::Item::Kind::kLine);
  CHECK(b.next().kind == LineBuffer::Item::Kind::kNone);
  CHECK(b.heap_bytes() == 0);  // nothing held between lines

  // A line split across two reads is carried, and the carry is freed once it is used.
  const std::string big = std::string("\"") + std::string(100'000, 'z');
  const std::string end = "\"\n";
  b.append(big);
  CHECK(b.next().kind == LineBuffer::Item::Kind::kNone);
  CHECK(b.heap_bytes() >= big.size());
  b.append(end);
  const auto joined = b.next();
  REQUIRE(joined.kind == LineBuffer::Item::Kind::kLine);
  CHECK(joined.line.size() == big.size() + 1);
  CHECK(b.next().kind == LineBuffer::Item::Kind::kNone);
  CHECK(b.heap_bytes() == 0);
  CHECK(b.buffered_bytes() == 0);
}

TEST_CASE("codec: consensus variants have upstream's serde shapes") {
  CHECK(encode(GetBlocks{3, 103}) == "{\"GetBlocks\":[3,103]}\n");
  CHECK(encode(BlockHeightResponse{7}) == "{\"BlockHeightResponse\":7}\n");
  CHECK(encode(GetBlockHeight{}) == "\"GetBlockHeight\"\n");
  CHECK(encode(Heartbeat{"1.2.3.4", 2, 5}) ==
        "{\"HeartbeatBroadcast\":{\"masternode_address\":\"1.2.3.4\",\"sequence_number\":2,"
        "\"timestamp\":5}}\n");
  CHECK(encode(BlockCommit{9, 1, {"a"}}) ==
        "{\"BlockCommit\":{\"block_hash\":9,\"height\":1,\"signatures\":[[\"a\",[]]]}}\n");
  // Malformed fields are errors, not crashes.
  CHECK(decode_line("{\"GetBlocks\":[1]}").error().kind == DecodeErrorKind::kInvalidFields);
  CHECK(decode_line("{\"GetBlocks\":[-1,2]}").error().kind == DecodeErrorKind::kInvalidFields);
  CHECK(decode_line("{\"BlocksResponse\":[{\"hash\":1}]}").error().kind ==
        DecodeErrorKind::kInvalidFields);
  CHECK(
      decode_line("{\"BlockVote\":{\"block_hash\":1,\"height\":1,\"voter\":\"a\"}}").error().kind ==
      DecodeErrorKind::kInvalidFields);
}

TEST_CASE("codec: long lines (memoised) decode to their own content, repeated or not") {
  // decode_line memoises lines of 1 KiB and more; alternating two long lines that differ in
  // one byte, and a long invalid line, must each give their own result every time.
  auto list = [](char last) {
    std::string s = "{\"MasternodesResponse\":[";
    for (int i = 0; i < 60; ++i)
      s += std::string(i ? "," : "") + "{\"address\":\"10.0.0." + std::to_string(i) + "\"}";
    s += ",{\"address\":\"10.0.1.";
    s += last;
    return s + "\"}]}";
  };
  const std::string a = list('1'), b = list('2');
  REQUIRE(a.size() >= 1024);
  const std::string bad = a.substr(0, a.size() - 1);  // the closing brace missing
  for (int round = 0; round < 3; ++round) {
    for (const std::string* line : {&a, &b, &bad}) {
      auto m = decode_line(*line);
      if (line == &bad) {
        CHECK_FALSE(m.ok());
        continue;
      }
      REQUIRE(m.ok());
      const auto& o = std::get<Opaque>(*m);
      CHECK(o.kind == MsgKind::kMasternodesResponse);
      CHECK(o.payload_json.find(line == &a ? "10.0.1.1\"" : "10.0.1.2\"") != std::string::npos);
    }
  }
}
