// The DOM codec that node_core/codec_encode.cc and codec_decode.cc replaced, kept verbatim
// (nlohmann::ordered_json to encode, nlohmann::json to decode) as the reference they are
// checked against: tests/codec_equivalence_test.cc, fuzz/fuzz_codec_diff.cc and
// bench/codec_bench.cc. Built only into those binaries, never into timesim.
#include "tests/reference_codec.h"

#include <nlohmann/json.hpp>

namespace ts::node::reference {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

std::string_view trim(std::string_view s) {
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_ws(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back()))
    s.remove_suffix(1);
  return s;
}

DecodeError fields_error(MsgKind kind, std::string_view what) {
  return DecodeError{DecodeErrorKind::kInvalidFields,
                     std::string(msg_kind_name(kind)) + ": " + std::string(what)};
}

// Reads an unsigned integer field. serde rejects negatives and non-integers for u64.
bool get_u64(const json& obj, const char* key, std::uint64_t& out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned()) {
    out = it->get<std::uint64_t>();
    return true;
  }
  const auto v = it->get<std::int64_t>();
  if (v < 0) return false;
  out = static_cast<std::uint64_t>(v);
  return true;
}

bool get_i64(const json& obj, const char* key, std::int64_t& out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > INT64_MAX) return false;
  out = it->get<std::int64_t>();
  return true;
}

bool get_string(const json& obj, const char* key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool as_u64(const json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return true;
  }
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0) return false;
  out = static_cast<std::uint64_t>(v.get<std::int64_t>());
  return true;
}

// {"header":{"height":..,"previous_hash":..,"timestamp":..,"producer":".."},"hash":..}
bool get_block(const json& v, Block& b) {
  if (!v.is_object()) return false;
  auto h = v.find("header");
  if (h == v.end() || !h->is_object()) return false;
  if (!get_u64(*h, "height", b.height) || !get_u64(*h, "previous_hash", b.previous_hash) ||
      !get_i64(*h, "timestamp", b.timestamp) || !get_string(*h, "producer", b.producer) ||
      !get_u64(v, "hash", b.hash))
    return false;
  auto txs = v.find("transactions");
  if (txs == v.end() || !txs->is_array()) return false;
  for (const auto& t : *txs) {
    std::uint64_t id = 0;
    if (!as_u64(t, id)) return false;
    b.transactions.push_back(id);
  }
  return true;
}

ordered_json block_json(const Block& b) {
  ordered_json header;
  header["height"] = b.height;
  header["previous_hash"] = b.previous_hash;
  header["timestamp"] = b.timestamp;
  header["producer"] = b.producer;
  ordered_json j;
  j["header"] = std::move(header);
  j["hash"] = b.hash;
  j["transactions"] = b.transactions;
  return j;
}

Result<Message, DecodeError> decode_variant(MsgKind kind, const json* body) {
  switch (kind) {
    case MsgKind::kHandshake: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      Handshake h;
      auto magic = body->find("magic");
      if (magic == body->end() || !magic->is_array() || magic->size() != 4)
        return fields_error(kind, "magic must be an array of 4 bytes");
      for (std::size_t i = 0; i < 4; ++i) {
        const auto& b = (*magic)[i];
        if (!b.is_number_unsigned() || b.get<std::uint64_t>() > 255)
          return fields_error(kind, "magic must be an array of 4 bytes");
        h.magic[i] = static_cast<std::uint8_t>(b.get<std::uint64_t>());
      }
      std::uint64_t pv = 0;
      if (!get_u64(*body, "protocol_version", pv) || pv > UINT32_MAX)
        return fields_error(kind, "protocol_version must be a u32");
      h.protocol_version = static_cast<std::uint32_t>(pv);
      auto net = body->find("network");
      if (net == body->end() || !net->is_string())
        return fields_error(kind, "network must be a string");
      h.network = net->get<std::string>();
      return Message{std::move(h)};
    }
    case MsgKind::kAck: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      auto mt = body->find("message_type");
      if (mt == body->end() || !mt->is_string())
        return fields_error(kind, "message_type must be a string");
      return Message{Ack{mt->get<std::string>()}};
    }
    case MsgKind::kPing:
    case MsgKind::kPong: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      std::uint64_t nonce = 0;
      std::int64_t ts = 0;
      if (!get_u64(*body, "nonce", nonce)) return fields_error(kind, "nonce must be a u64");
      if (!get_i64(*body, "timestamp", ts)) return fields_error(kind, "timestamp must be an i64");
      if (kind == MsgKind::kPing) return Message{Ping{nonce, ts}};
      return Message{Pong{nonce, ts}};
    }
    case MsgKind::kGetPeers:
      if (body) return fields_error(kind, "unit variant takes no content");
      return Message{GetPeers{}};
    case MsgKind::kPeersResponse: {
      if (!body || !body->is_array()) return fields_error(kind, "expected an array of strings");
      PeersResponse r;
      for (const auto& p : *body) {
        if (!p.is_string()) return fields_error(kind, "expected an array of strings");
        r.peers.push_back(p.get<std::string>());
      }
      return Message{std::move(r)};
    }
    case MsgKind::kHeartbeat: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      Heartbeat h;
      if (!get_string(*body, "masternode_address", h.masternode_address) ||
          !get_u64(*body, "sequence_number", h.sequence_number) ||
          !get_i64(*body, "timestamp", h.timestamp))
        return fields_error(kind, "expected masternode_address, sequence_number, timestamp");
      return Message{std::move(h)};
    }
    case MsgKind::kGetBlockHeight:
      if (body) return fields_error(kind, "unit variant takes no content");
      return Message{GetBlockHeight{}};
    case MsgKind::kBlockHeightResponse: {
      BlockHeightResponse r;
      if (!body || !as_u64(*body, r.height)) return fields_error(kind, "expected a u64 height");
      return Message{r};
    }
    case MsgKind::kGetBlocks: {
      GetBlocks g;
      if (!body || !body->is_array() || body->size() != 2 || !as_u64((*body)[0], g.start) ||
          !as_u64((*body)[1], g.end))
        return fields_error(kind, "expected [start_height, end_height]");
      return Message{g};
    }
    case MsgKind::kBlocksResponse: {
      if (!body || !body->is_array()) return fields_error(kind, "expected an array of blocks");
      BlocksResponse r;
      for (const auto& v : *body) {
        Block b;
        if (!get_block(v, b)) return fields_error(kind, "malformed block");
        r.blocks.push_back(std::move(b));
      }
      return Message{std::move(r)};
    }
    case MsgKind::kBlockProposal: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      BlockProposal p;
      auto blk = body->find("block");
      if (blk == body->end() || !get_block(*blk, p.block) ||
          !get_string(*body, "proposer", p.proposer) || !get_u64(*body, "round", p.round))
        return fields_error(kind, "expected block, proposer, round");
      return Message{std::move(p)};
    }
    case MsgKind::kBlockVote: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      BlockVote v;
      auto approve = body->find("approve");
      if (!get_u64(*body, "block_hash", v.block_hash) || !get_u64(*body, "height", v.height) ||
          !get_string(*body, "voter", v.voter) || approve == body->end() || !approve->is_boolean())
        return fields_error(kind, "expected block_hash, height, voter, approve");
      v.approve = approve->get<bool>();
      return Message{std::move(v)};
    }
    case MsgKind::kBlockCommit: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      BlockCommit c;
      auto sigs = body->find("signatures");
      if (!get_u64(*body, "block_hash", c.block_hash) || !get_u64(*body, "height", c.height) ||
          sigs == body->end() || !sigs->is_array())
        return fields_error(kind, "expected block_hash, height, signatures");
      for (const auto& sig : *sigs) {  // [address, signature bytes]
        if (!sig.is_array() || sig.size() != 2 || !sig[0].is_string() || !sig[1].is_array())
          return fields_error(kind, "a signature is [address, bytes]");
        c.signers.push_back(sig[0].get<std::string>());
      }
      return Message{std::move(c)};
    }
    case MsgKind::kTransactionBroadcast: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      TransactionBroadcast t;
      if (!get_u64(*body, "txid", t.txid) || !get_i64(*body, "timestamp", t.timestamp))
        return fields_error(kind, "expected txid, timestamp");
      return Message{t};
    }
    case MsgKind::kTransactionVote: {
      if (!body || !body->is_object()) return fields_error(kind, "expected an object");
      TransactionVote v;
      auto approve = body->find("approve");
      if (!get_u64(*body, "txid", v.txid) || !get_string(*body, "voter", v.voter) ||
          approve == body->end() || !approve->is_boolean() ||
          !get_i64(*body, "timestamp", v.timestamp))
        return fields_error(kind, "expected txid, voter, approve, timestamp");
      v.approve = approve->get<bool>();
      return Message{std::move(v)};
    }
    default:
      return Message{Opaque{kind, body ? body->dump() : std::string()}};
  }
}

}  // namespace

void encode(const Message& m, std::string& out) {
  struct Visitor {
    std::string& out;
    void tagged(MsgKind k, const ordered_json& body) {
      ordered_json j;
      j[std::string(msg_kind_name(k))] = body;
      out += j.dump();
    }
    void operator()(const Handshake& h) {
      ordered_json b;
      b["magic"] = ordered_json::array({h.magic[0], h.magic[1], h.magic[2], h.magic[3]});
      b["protocol_version"] = h.protocol_version;
      b["network"] = h.network;
      tagged(MsgKind::kHandshake, b);
    }
    void operator()(const Ack& a) {
      ordered_json b;
      b["message_type"] = a.message_type;
      tagged(MsgKind::kAck, b);
    }
    void operator()(const Ping& p) {
      ordered_json b;
      b["nonce"] = p.nonce;
      b["timestamp"] = p.timestamp;
      tagged(MsgKind::kPing, b);
    }
    void operator()(const Pong& p) {
      ordered_json b;
      b["nonce"] = p.nonce;
      b["timestamp"] = p.timestamp;
      tagged(MsgKind::kPong, b);
    }
    void operator()(const GetPeers&) { out += "\"GetPeers\""; }
    void operator()(const PeersResponse& r) { tagged(MsgKind::kPeersResponse, r.peers); }
    void operator()(const Heartbeat& h) {
      ordered_json b;
      b["masternode_address"] = h.masternode_address;
      b["sequence_number"] = h.sequence_number;
      b["timestamp"] = h.timestamp;
      tagged(MsgKind::kHeartbeat, b);
    }
    void operator()(const GetBlockHeight&) { out += "\"GetBlockHeight\""; }
    void operator()(const BlockHeightResponse& r) {
      tagged(MsgKind::kBlockHeightResponse, r.height);
    }
    void operator()(const GetBlocks& g) {
      tagged(MsgKind::kGetBlocks, ordered_json::array({g.start, g.end}));
    }
    void operator()(const BlocksResponse& r) {
      ordered_json arr = ordered_json::array();
      for (const auto& blk : r.blocks)
        arr.push_back(block_json(blk));
      tagged(MsgKind::kBlocksResponse, arr);
    }
    void operator()(const BlockProposal& p) {
      ordered_json b;
      b["block"] = block_json(p.block);
      b["proposer"] = p.proposer;
      b["signature"] = ordered_json::array();  // the model does not sign
      b["round"] = p.round;
      tagged(MsgKind::kBlockProposal, b);
    }
    void operator()(const BlockVote& v) {
      ordered_json b;
      b["block_hash"] = v.block_hash;
      b["height"] = v.height;
      b["voter"] = v.voter;
      b["signature"] = ordered_json::array();
      b["approve"] = v.approve;
      tagged(MsgKind::kBlockVote, b);
    }
    void operator()(const TransactionBroadcast& t) {
      ordered_json b;
      b["txid"] = t.txid;
      b["timestamp"] = t.timestamp;
      tagged(MsgKind::kTransactionBroadcast, b);
    }
    void operator()(const TransactionVote& v) {
      ordered_json b;
      b["txid"] = v.txid;
      b["voter"] = v.voter;
      b["approve"] = v.approve;
      b["timestamp"] = v.timestamp;
      tagged(MsgKind::kTransactionVote, b);
    }
    void operator()(const BlockCommit& c) {
      ordered_json b;
      b["block_hash"] = c.block_hash;
      b["height"] = c.height;
      ordered_json sigs = ordered_json::array();
      for (const auto& s : c.signers)
        sigs.push_back(ordered_json::array({s, ordered_json::array()}));
      b["signatures"] = std::move(sigs);
      tagged(MsgKind::kBlockCommit, b);
    }
    void operator()(const Opaque& o) {
      if (o.payload_json.empty()) {
        out += '"';
        out += msg_kind_name(o.kind);
        out += '"';
      } else {
        out += "{\"";
        out += msg_kind_name(o.kind);
        out += "\":";
        out += o.payload_json;
        out += '}';
      }
    }
  };
  std::visit(Visitor{out}, m);
  out += '\n';
}

std::string encode(const Message& m) {
  std::string s;
  reference::encode(m, s);
  return s;
}

Result<Message, DecodeError> decode_line(std::string_view line) {
  line = trim(line);
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    std::string shown(line.substr(0, 64));
    for (auto& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
    return DecodeError{DecodeErrorKind::kInvalidJson, "not a JSON value: '" + shown + "'"};
  }
  MsgKind kind{};
  if (j.is_string()) {
    const auto& name = j.get_ref<const std::string&>();
    if (!msg_kind_from_name(name, kind))
      return DecodeError{DecodeErrorKind::kUnknownVariant, "unknown variant '" + name + "'"};
    return decode_variant(kind, nullptr);
  }
  if (j.is_object() && j.size() == 1) {
    // (not items(): its proxy is a temporary, and a reference to its key would dangle)
    const auto it = j.cbegin();
    const std::string& name = it.key();
    const json& body = it.value();
    if (!msg_kind_from_name(name, kind))
      return DecodeError{DecodeErrorKind::kUnknownVariant, "unknown variant '" + name + "'"};
    return decode_variant(kind, &body);
  }
  return DecodeError{DecodeErrorKind::kUnknownVariant,
                     "expected a variant name or a one-key object"};
}

}  // namespace ts::node::reference
