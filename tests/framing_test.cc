// Length-prefixed framing (34bcf6e, node_core/frame_buffer.h) and the node's frame path.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node_core/codec.h"
#include "node_core/frame_buffer.h"
#include "node_core/node.h"

using namespace ts::node;
using ts::SimTime;

namespace {

std::string frame(std::string_view payload) {
  std::string out;
  append_frame(payload, out);
  return out;
}

std::vector<std::string> drain(FrameBuffer& b) {
  std::vector<std::string> got;
  while (true) {
    const auto it = b.next();
    if (it.kind == FrameBuffer::Item::Kind::kNone) return got;
    got.push_back(it.kind == FrameBuffer::Item::Kind::kFrame ? std::string(it.payload)
                                                             : "TOO LARGE");
  }
}

// Inputs and outputs of one node, for the node-level cases.
struct Peer {
  VersionProfile profile;  // a copy: the node keeps a pointer, callers pass temporaries
  Node node;
  std::vector<Output> out;
  Peer(std::string ip, const VersionProfile& p)
      : profile(p), node(make_cfg(std::move(ip)), profile, 1) {}
  static NodeConfig make_cfg(std::string ip) {
    NodeConfig c;
    c.ip = std::move(ip);
    c.clock_epoch_unix_s = 1766106000;
    c.peers.push_back(PeerAddr{"2.2.2.2"});
    return c;
  }
  void feed(SimTime now, const Input& in) {
    out.clear();
    node.handle(now, in);
    node.drain(out);
  }
  std::string sent() const {  // every Send's bytes, concatenated
    std::string s;
    for (const auto& o : out)
      if (const auto* x = std::get_if<Send>(&o)) s += x->bytes;
    return s;
  }
  int errors(ProtocolErrorKind k) const {
    int n = 0;
    for (const auto& o : out)
      if (const auto* x = std::get_if<Note>(&o))
        n += x->kind == NoteKind::kProtocolError && x->value == static_cast<int>(k);
    return n;
  }
  const Close* closed() const {
    for (const auto& o : out)
      if (const auto* x = std::get_if<Close>(&o)) return x;
    return nullptr;
  }
  bool banned() const {
    for (const auto& o : out)
      if (std::holds_alternative<Ban>(o)) return true;
    return false;
  }
};

VersionProfile framed() {
  VersionProfile p = *find_profile("post-fix");
  p.wire.framing = Framing::kLengthPrefixed;
  return p;
}

}  // namespace

TEST_CASE("frame buffer: a u32 big-endian length, then the payload, in any chunking") {
  CHECK(frame("abc") == std::string("\0\0\0\3abc", 7));
  const std::string stream = frame("first") + frame("") + frame(std::string(300, 'x'));
  // Whole, then one byte at a time: the same three payloads.
  for (std::size_t chunk : {stream.size(), std::size_t{1}, std::size_t{5}}) {
    CAPTURE(chunk);
    FrameBuffer b;
    std::vector<std::string> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      b.append(std::string_view(stream).substr(at, chunk));
      for (auto& g : drain(b))
        got.push_back(g);
    }
    REQUIRE(got.size() == 3);
    CHECK(got[0] == "first");
    CHECK(got[1].empty());
    CHECK(got[2] == std::string(300, 'x'));
    CHECK(b.buffered_bytes() == 0);
  }
}

TEST_CASE("frame buffer: a length above the maximum is one error, then nothing") {
  FrameBuffer b(16);
  const std::string big = frame(std::string(17, 'y')) + frame("after");
  b.append(big);
  CHECK(drain(b) == std::vector<std::string>{"TOO LARGE"});
  CHECK(b.failed());
  const std::string more = frame("more");
  b.append(more);
  CHECK(drain(b).empty());
  // Exactly the maximum is accepted (wire.rs: `len > MAX_FRAME_SIZE`).
  FrameBuffer ok(16);
  const std::string exact = frame(std::string(16, 'z'));
  ok.append(exact);
  CHECK(drain(ok) == std::vector<std::string>{std::string(16, 'z')});
  // The header split across appends is checked too.
  FrameBuffer split(16);
  const std::string h = frame(std::string(17, 'y'));
  split.append(std::string_view(h).substr(0, 2));
  CHECK(drain(split).empty());
  split.append(std::string_view(h).substr(2));
  CHECK(drain(split) == std::vector<std::string>{"TOO LARGE"});
}

TEST_CASE("framing: two length-prefixed builds talk; the bytes are frames, not lines") {
  const VersionProfile p = framed();
  Peer dialer("1.1.1.1", p), listener("2.2.2.2", p);
  dialer.feed(0, Start{});
  dialer.feed(1, Connected{1, Direction::kOutbound, 0, {}, 0});
  const std::string hello = dialer.sent();
  REQUIRE(hello.size() > 4);
  CHECK(hello.find('\n') == std::string::npos);  // no line ends: frames
  FrameBuffer fb;
  fb.append(hello);
  const auto frames = drain(fb);
  REQUIRE(frames.size() == 3);  // Handshake, then the two connect-time Pings
  auto hs = decode_line(frames[0]);
  REQUIRE(hs.ok());
  CHECK(std::holds_alternative<Handshake>(*hs));
  listener.feed(0, Start{});
  listener.feed(2, Connected{7, Direction::kInbound, 0, "1.1.1.1", 40000});
  listener.feed(3, BytesIn{7, hello});
  CHECK(listener.closed() == nullptr);
  FrameBuffer reply;
  const std::string replies = listener.sent();  // appended bytes must outlive the drain
  reply.append(replies);
  const auto answers = drain(reply);  // Ack, GetPeers, Pong, Pong
  REQUIRE(answers.size() == 4);
  CHECK(std::holds_alternative<Ack>(*decode_line(answers[0])));
  CHECK(std::holds_alternative<Pong>(*decode_line(answers[2])));
}

TEST_CASE("framing: an NDJSON dialer meets a framed listener - closed, no violation") {
  // '{"Ha' read as a length is 0x7B224861 = 2,065,844,321 > 4 MiB: read_message fails.
  Peer listener("2.2.2.2", framed());
  listener.feed(0, Start{});
  listener.feed(1, Connected{7, Direction::kInbound, 0, "1.1.1.1", 40000});
  listener.feed(2, BytesIn{7, encode(Handshake{kMagic, 1, "mainnet"})});
  CHECK(listener.errors(ProtocolErrorKind::kFrameTooLarge) == 1);
  REQUIRE(listener.closed() != nullptr);
  CHECK(listener.closed()->reason == CloseReason::kInvalidMessage);
  CHECK_FALSE(listener.banned());
}

TEST_CASE("framing: an undecodable payload ends the connection (34bcf6e) or is skipped (45404fc)") {
  for (bool skip : {false, true}) {
    CAPTURE(skip);
    VersionProfile p = framed();
    p.wire.skip_undecodable = skip;
    Peer listener("2.2.2.2", p);
    listener.feed(0, Start{});
    listener.feed(1, Connected{7, Direction::kInbound, 0, "1.1.1.1", 40000});
    listener.feed(
        2,
        BytesIn{
            7,
            frame(R"({"Handshake":{"magic":[84,73,77,69],"protocol_version":1,"network":"x"}})")});
    REQUIRE(listener.closed() == nullptr);
    // Three undecodable payloads: no violation, so never a ban; then a Ping is answered.
    std::string junk;
    for (int i = 0; i < 3; ++i)
      junk += frame("not a message");
    listener.feed(
        3, BytesIn{7, junk + frame(encode(Ping{9, 1}).substr(0, encode(Ping{9, 1}).size() - 1))});
    CHECK_FALSE(listener.banned());
    CHECK(listener.errors(ProtocolErrorKind::kInvalidJson) == (skip ? 3 : 1));
    CHECK((listener.closed() != nullptr) == !skip);
    CHECK((listener.sent().find("Pong") != std::string::npos) == skip);
  }
}
