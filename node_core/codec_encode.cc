// encode(): the wire bytes of a Message, appended to the caller's buffer.
//
// The bytes are serde_json's compact form of the Rust enum, fields in declaration order,
// strings escaped as serde_json (and nlohmann::json::dump, which the previous encoder used,
// tests/reference_codec.cc) escape them: \" \\ \b \f \n \r \t, other bytes below 0x20 as
// \u00xx, everything else verbatim. Nothing is allocated beyond the growth of `out`.
#include <cstring>
#include <type_traits>

#include "node_core/codec.h"
#include "node_core/decimal.h"

namespace ts::node {
namespace {

// Appends JSON text to one std::string.
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  JsonOut& raw(std::string_view s) {
    out_.append(s);
    return *this;
  }
  template <class Int>
  JsonOut& num(Int v) {
    char digits[kDecimalRoom];
    const char* end;
    if constexpr (std::is_signed_v<Int>)
      end = write_decimal(digits, static_cast<std::int64_t>(v));
    else
      end = write_decimal(digits, static_cast<std::uint64_t>(v));
    out_.append(digits, static_cast<std::size_t>(end - digits));
    return *this;
  }
  JsonOut& boolean(bool v) { return raw(v ? "true" : "false"); }
  JsonOut& str(std::string_view s);
  // {"Name":
  JsonOut& tag(MsgKind k) { return raw("{\"").raw(msg_kind_name(k)).raw("\":"); }
  JsonOut& block(const Block& b);

 private:
  std::string& out_;
};

JsonOut& JsonOut::str(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_ += '"';
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(s.substr(plain, i - plain));
    plain = i + 1;
    out_ += '\\';
    switch (c) {
      case '"':
      case '\\':
        out_ += static_cast<char>(c);
        break;
      case '\b':
        out_ += 'b';
        break;
      case '\f':
        out_ += 'f';
        break;
      case '\n':
        out_ += 'n';
        break;
      case '\r':
        out_ += 'r';
        break;
      case '\t':
        out_ += 't';
        break;
      default:
        out_.append("u00");
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xF];
    }
  }
  out_.append(s.substr(plain));
  out_ += '"';
  return *this;
}

JsonOut& JsonOut::block(const Block& b) {
  raw("{\"header\":{\"height\":").num(b.height).raw(",\"previous_hash\":").num(b.previous_hash);
  raw(",\"timestamp\":").num(b.timestamp).raw(",\"producer\":").str(b.producer);
  raw("},\"hash\":").num(b.hash).raw(",\"transactions\":[");
  for (std::size_t i = 0; i < b.transactions.size(); ++i)
    raw(i ? "," : "").num(b.transactions[i]);
  return raw("]}");
}

struct EncodeVisitor {
  JsonOut w;
  void operator()(const Handshake& h) {
    w.tag(MsgKind::kHandshake).raw("{\"magic\":[").num(h.magic[0]).raw(",").num(h.magic[1]);
    w.raw(",").num(h.magic[2]).raw(",").num(h.magic[3]).raw("],\"protocol_version\":");
    w.num(h.protocol_version).raw(",\"network\":").str(h.network).raw("}}");
  }
  void operator()(const Ack& a) {
    w.tag(MsgKind::kAck).raw("{\"message_type\":").str(a.message_type).raw("}}");
  }
  // The most frequent lines: built on the stack and appended once (at most 72 bytes; the
  // digits' room, kDecimalRoom each, keeps every store within 2 + 4 + 11 + 21 + 13 + 21 + 2).
  void ping_pong(MsgKind k, std::uint64_t nonce, std::int64_t timestamp) {
    char line[96];
    char* p = line;
    auto put = [&p](std::string_view s) {
      std::memcpy(p, s.data(), s.size());
      p += s.size();
    };
    put("{\"");
    put(msg_kind_name(k));
    put("\":{\"nonce\":");
    p = write_decimal(p, nonce);  // room: p + kDecimalRoom is within line
    put(",\"timestamp\":");
    p = write_decimal(p, timestamp);
    put("}}");
    w.raw({line, static_cast<std::size_t>(p - line)});
  }
  void operator()(const Ping& p) { ping_pong(MsgKind::kPing, p.nonce, p.timestamp); }
  void operator()(const Pong& p) { ping_pong(MsgKind::kPong, p.nonce, p.timestamp); }
  void operator()(const GetPeers&) { w.raw("\"GetPeers\""); }
  void operator()(const PeersResponse& r) {
    w.tag(MsgKind::kPeersResponse).raw("[");
    for (std::size_t i = 0; i < r.peers.size(); ++i)
      w.raw(i ? "," : "").str(r.peers[i]);
    w.raw("]}");
  }
  void operator()(const Heartbeat& h) {
    w.tag(MsgKind::kHeartbeat).raw("{\"masternode_address\":").str(h.masternode_address);
    w.raw(",\"sequence_number\":").num(h.sequence_number);
    w.raw(",\"timestamp\":").num(h.timestamp).raw("}}");
  }
  void operator()(const GetBlockHeight&) { w.raw("\"GetBlockHeight\""); }
  void operator()(const BlockHeightResponse& r) {
    w.tag(MsgKind::kBlockHeightResponse).num(r.height).raw("}");
  }
  void operator()(const GetBlocks& g) {
    w.tag(MsgKind::kGetBlocks).raw("[").num(g.start).raw(",").num(g.end).raw("]}");
  }
  void operator()(const BlocksResponse& r) {
    w.tag(MsgKind::kBlocksResponse).raw("[");
    for (std::size_t i = 0; i < r.blocks.size(); ++i)
      w.raw(i ? "," : "").block(r.blocks[i]);
    w.raw("]}");
  }
  void operator()(const BlockProposal& p) {  // the model does not sign: "signature":[]
    w.tag(MsgKind::kBlockProposal).raw("{\"block\":").block(p.block);
    w.raw(",\"proposer\":").str(p.proposer).raw(",\"signature\":[],\"round\":").num(p.round);
    w.raw("}}");
  }
  void operator()(const BlockVote& v) {
    w.tag(MsgKind::kBlockVote).raw("{\"block_hash\":").num(v.block_hash);
    w.raw(",\"height\":").num(v.height).raw(",\"voter\":").str(v.voter);
    w.raw(",\"signature\":[],\"approve\":").boolean(v.approve).raw("}}");
  }
  void operator()(const TransactionBroadcast& t) {
    w.tag(MsgKind::kTransactionBroadcast).raw("{\"txid\":").num(t.txid);
    w.raw(",\"timestamp\":").num(t.timestamp).raw("}}");
  }
  void operator()(const TransactionVote& v) {
    w.tag(MsgKind::kTransactionVote).raw("{\"txid\":").num(v.txid).raw(",\"voter\":").str(v.voter);
    w.raw(",\"approve\":").boolean(v.approve).raw(",\"timestamp\":").num(v.timestamp).raw("}}");
  }
  void operator()(const BlockCommit& c) {  // signatures: [[address, []], ...]
    w.tag(MsgKind::kBlockCommit).raw("{\"block_hash\":").num(c.block_hash);
    w.raw(",\"height\":").num(c.height).raw(",\"signatures\":[");
    for (std::size_t i = 0; i < c.signers.size(); ++i)
      w.raw(i ? ",[" : "[").str(c.signers[i]).raw(",[]]");
    w.raw("]}}");
  }
  void operator()(const Opaque& o) {
    if (o.payload_json.empty())
      w.raw("\"").raw(msg_kind_name(o.kind)).raw("\"");
    else
      w.tag(o.kind).raw(o.payload_json).raw("}");
  }
};

}  // namespace

void encode(const Message& m, std::string& out) {
  std::visit(EncodeVisitor{JsonOut(out)}, m);
  out += '\n';
}

std::string encode(const Message& m) {
  std::string s;
  encode(m, s);
  return s;
}

}  // namespace ts::node
