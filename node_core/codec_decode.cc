// decode_line(): the wire decoder, on JsonCursor, without building a JSON document.
//
// It returns what the DOM decoder it replaced returned (tests/reference_codec.cc keeps that
// one; tests/codec_equivalence_test.cc and fuzz/fuzz_codec_diff.cc compare the two):
// - any syntax error anywhere in the line is kInvalidJson, even after a field error, so the
//   whole line is always read;
// - an object's repeated key counts once and its last value wins (nlohmann::json's
//   std::map), so every capture below is reset at each occurrence of its key;
// - fields are looked up by name, unknown ones ignored, and checked in the same order with
//   the same detail text.
// Only the variants the model does not interpret (Opaque) still go through nlohmann, for
// their canonical dump() text; the model never sends them.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>

#include "node_core/codec.h"
#include "node_core/json_cursor.h"

namespace ts::node {
namespace {

using Decoded = Result<Message, DecodeError>;
using NumberKind = JsonCursor::Number::Kind;

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

DecodeError unknown_variant(std::string_view name) {
  return DecodeError{DecodeErrorKind::kUnknownVariant,
                     "unknown variant '" + std::string(name) + "'"};
}

// A value read where the old decoder looked a field up: its JSON type and, for a number or
// bool, its value. kAbsent: the key did not occur.
struct Scalar {
  enum class Type : std::uint8_t {
    kAbsent,
    kUnsigned,
    kInteger,
    kOther,
    kBool
  } type = Type::kAbsent;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  bool b = false;
};

void read_scalar(JsonCursor& c, Scalar& out) {
  out = Scalar{};
  out.type = Scalar::Type::kOther;
  const char next = c.peek_value();
  if (next == '0') {
    JsonCursor::Number n;
    if (!c.number(n)) return;
    if (n.kind == NumberKind::kUnsigned) out.type = Scalar::Type::kUnsigned;
    if (n.kind == NumberKind::kInteger) out.type = Scalar::Type::kInteger;
    out.u = n.u;
    out.i = n.i;
  } else if (next == 't' || next == 'f') {
    if (c.boolean(out.b)) out.type = Scalar::Type::kBool;
  } else {
    c.skip_value();
  }
}

// serde's u64: a non-negative integer ("-0" included, as nlohmann reads it as integer 0).
bool u64_of(const Scalar& s, std::uint64_t& out) {
  if (s.type == Scalar::Type::kUnsigned) return out = s.u, true;
  if (s.type == Scalar::Type::kInteger && s.i >= 0)
    return out = static_cast<std::uint64_t>(s.i), true;
  return false;
}

bool i64_of(const Scalar& s, std::int64_t& out) {
  if (s.type == Scalar::Type::kInteger) return out = s.i, true;
  if (s.type == Scalar::Type::kUnsigned && s.u <= INT64_MAX)
    return out = static_cast<std::int64_t>(s.u), true;
  return false;
}

bool bool_of(const Scalar& s, bool& out) {
  if (s.type != Scalar::Type::kBool) return false;
  out = s.b;
  return true;
}

// Reads a value into `out` if it is a string; `is_string` says whether it was.
void read_string(JsonCursor& c, std::string& out, bool& is_string) {
  is_string = c.peek_value() == '"';
  std::string_view s;
  if (!is_string) {
    c.skip_value();
  } else if (c.string(s)) {
    out.assign(s);
  }
}

// Starts reading an object or array if the value (when there is one) is that; otherwise
// consumes the value and returns false.
bool enter(JsonCursor* c, char open) {
  if (!c) return false;
  if (c->peek_value() != open) {
    c->skip_value();
    return false;
  }
  return open == '{' ? c->begin_object() : c->begin_array();
}

// An array of u64 (a block's transactions): false if not an array or an element is not one.
bool read_u64_array(JsonCursor& c, std::vector<std::uint64_t>& out) {
  if (!enter(&c, '[')) return false;
  out.clear();
  bool ok = true;
  Scalar s;
  while (c.next_element()) {
    read_scalar(c, s);
    std::uint64_t v = 0;
    if (u64_of(s, v))
      out.push_back(v);
    else
      ok = false;
  }
  return ok;
}

// {"height":..,"previous_hash":..,"timestamp":..,"producer":".."}
bool read_header(JsonCursor& c, Block& b) {
  if (!enter(&c, '{')) return false;
  Scalar height, previous, timestamp;
  bool producer = false;
  std::string_view key;
  while (c.next_member(key)) {
    if (key == "height")
      read_scalar(c, height);
    else if (key == "previous_hash")
      read_scalar(c, previous);
    else if (key == "timestamp")
      read_scalar(c, timestamp);
    else if (key == "producer")
      read_string(c, b.producer, producer);
    else
      c.skip_value();
  }
  return u64_of(height, b.height) && u64_of(previous, b.previous_hash) &&
         i64_of(timestamp, b.timestamp) && producer;
}

// {"header":{..},"hash":..,"transactions":[..]}: false if the block is malformed.
bool read_block(JsonCursor& c, Block& b) {
  if (!enter(&c, '{')) return false;
  bool header = false, transactions = false;
  Scalar hash;
  std::string_view key;
  while (c.next_member(key)) {
    if (key == "header")
      header = read_header(c, b);
    else if (key == "hash")
      read_scalar(c, hash);
    else if (key == "transactions")
      transactions = read_u64_array(c, b.transactions);
    else
      c.skip_value();
  }
  return header && u64_of(hash, b.hash) && transactions;
}

// [[address, [signature bytes]], ...]: false if not an array; `shapes_ok` false if one
// element is not [string, array].
bool read_signatures(JsonCursor& c, std::vector<std::string>& signers, bool& shapes_ok) {
  shapes_ok = true;
  if (!enter(&c, '[')) return false;
  signers.clear();
  while (c.next_element()) {
    if (!enter(&c, '[')) {
      shapes_ok = false;
      continue;
    }
    std::size_t n = 0;
    bool address = false, bytes = false;
    std::string name;
    while (c.next_element()) {
      if (n == 0)
        read_string(c, name, address);
      else if (n == 1)
        bytes = c.peek_value() == '[';
      if (n != 0) c.skip_value();
      ++n;
    }
    if (n == 2 && address && bytes)
      signers.push_back(std::move(name));
    else
      shapes_ok = false;
  }
  return true;
}

// [b0,b1,b2,b3], each a u8 written without a sign.
bool read_magic(JsonCursor& c, std::array<std::uint8_t, 4>& out) {
  if (!enter(&c, '[')) return false;
  std::size_t n = 0;
  bool ok = true;
  Scalar byte;
  while (c.next_element()) {
    read_scalar(c, byte);
    if (n < 4 && (byte.type != Scalar::Type::kUnsigned || byte.u > 255)) ok = false;
    if (n < 4 && ok) out[n] = static_cast<std::uint8_t>(byte.u);
    ++n;
  }
  return ok && n == 4;
}

Decoded decode_handshake(JsonCursor* c) {
  const MsgKind kind = MsgKind::kHandshake;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  Handshake h;
  bool magic = false, network = false;
  Scalar version;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "magic") {
      magic = read_magic(*c, h.magic);
    } else if (key == "protocol_version") {
      read_scalar(*c, version);
    } else if (key == "network") {
      read_string(*c, h.network, network);
    } else {
      c->skip_value();
    }
  }
  if (!magic) return fields_error(kind, "magic must be an array of 4 bytes");
  std::uint64_t pv = 0;
  if (!u64_of(version, pv) || pv > UINT32_MAX)
    return fields_error(kind, "protocol_version must be a u32");
  h.protocol_version = static_cast<std::uint32_t>(pv);
  if (!network) return fields_error(kind, "network must be a string");
  return Message{std::move(h)};
}

Decoded decode_ack(JsonCursor* c) {
  const MsgKind kind = MsgKind::kAck;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  Ack a;
  bool type = false;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "message_type")
      read_string(*c, a.message_type, type);
    else
      c->skip_value();
  }
  if (!type) return fields_error(kind, "message_type must be a string");
  return Message{std::move(a)};
}

Decoded decode_ping_pong(MsgKind kind, JsonCursor* c) {
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  Scalar nonce_v, timestamp_v;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "nonce")
      read_scalar(*c, nonce_v);
    else if (key == "timestamp")
      read_scalar(*c, timestamp_v);
    else
      c->skip_value();
  }
  std::uint64_t nonce = 0;
  std::int64_t ts = 0;
  if (!u64_of(nonce_v, nonce)) return fields_error(kind, "nonce must be a u64");
  if (!i64_of(timestamp_v, ts)) return fields_error(kind, "timestamp must be an i64");
  if (kind == MsgKind::kPing) return Message{Ping{nonce, ts}};
  return Message{Pong{nonce, ts}};
}

Decoded decode_unit(MsgKind kind, JsonCursor* c) {
  if (c) {
    c->skip_value();
    return fields_error(kind, "unit variant takes no content");
  }
  if (kind == MsgKind::kGetPeers) return Message{GetPeers{}};
  return Message{GetBlockHeight{}};
}

Decoded decode_peers(JsonCursor* c) {
  const MsgKind kind = MsgKind::kPeersResponse;
  if (!enter(c, '[')) return fields_error(kind, "expected an array of strings");
  PeersResponse r;
  bool ok = true;
  std::string_view s;
  while (c->next_element()) {
    if (c->peek_value() != '"') {
      ok = false;
      c->skip_value();
    } else if (c->string(s)) {
      r.peers.emplace_back(s);
    }
  }
  if (!ok) return fields_error(kind, "expected an array of strings");
  return Message{std::move(r)};
}

Decoded decode_heartbeat(JsonCursor* c) {
  const MsgKind kind = MsgKind::kHeartbeat;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  Heartbeat h;
  bool address = false;
  Scalar sequence, timestamp;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "masternode_address")
      read_string(*c, h.masternode_address, address);
    else if (key == "sequence_number")
      read_scalar(*c, sequence);
    else if (key == "timestamp")
      read_scalar(*c, timestamp);
    else
      c->skip_value();
  }
  if (!address || !u64_of(sequence, h.sequence_number) || !i64_of(timestamp, h.timestamp))
    return fields_error(kind, "expected masternode_address, sequence_number, timestamp");
  return Message{std::move(h)};
}

Decoded decode_height(JsonCursor* c) {
  BlockHeightResponse r;
  Scalar s;
  if (c) read_scalar(*c, s);
  if (!u64_of(s, r.height))
    return fields_error(MsgKind::kBlockHeightResponse, "expected a u64 height");
  return Message{r};
}

Decoded decode_get_blocks(JsonCursor* c) {
  const MsgKind kind = MsgKind::kGetBlocks;
  if (!enter(c, '[')) return fields_error(kind, "expected [start_height, end_height]");
  Scalar bound[2];
  std::size_t n = 0;
  Scalar extra;
  while (c->next_element()) {
    read_scalar(*c, n < 2 ? bound[n] : extra);
    ++n;
  }
  GetBlocks g;
  if (n != 2 || !u64_of(bound[0], g.start) || !u64_of(bound[1], g.end))
    return fields_error(kind, "expected [start_height, end_height]");
  return Message{g};
}

Decoded decode_blocks(JsonCursor* c) {
  const MsgKind kind = MsgKind::kBlocksResponse;
  if (!enter(c, '[')) return fields_error(kind, "expected an array of blocks");
  BlocksResponse r;
  bool ok = true;
  Block b;
  while (c->next_element()) {
    b = Block{};
    if (read_block(*c, b))
      r.blocks.push_back(std::move(b));
    else
      ok = false;
  }
  if (!ok) return fields_error(kind, "malformed block");
  return Message{std::move(r)};
}

Decoded decode_proposal(JsonCursor* c) {
  const MsgKind kind = MsgKind::kBlockProposal;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  BlockProposal p;
  bool block = false, proposer = false;
  Scalar round;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "block")
      block = read_block(*c, p.block);
    else if (key == "proposer")
      read_string(*c, p.proposer, proposer);
    else if (key == "round")
      read_scalar(*c, round);
    else
      c->skip_value();
  }
  if (!block || !proposer || !u64_of(round, p.round))
    return fields_error(kind, "expected block, proposer, round");
  return Message{std::move(p)};
}

Decoded decode_block_vote(JsonCursor* c) {
  const MsgKind kind = MsgKind::kBlockVote;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  BlockVote v;
  bool voter = false;
  Scalar hash, height, approve;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "block_hash")
      read_scalar(*c, hash);
    else if (key == "height")
      read_scalar(*c, height);
    else if (key == "voter")
      read_string(*c, v.voter, voter);
    else if (key == "approve")
      read_scalar(*c, approve);
    else
      c->skip_value();
  }
  if (!u64_of(hash, v.block_hash) || !u64_of(height, v.height) || !voter ||
      !bool_of(approve, v.approve))
    return fields_error(kind, "expected block_hash, height, voter, approve");
  return Message{std::move(v)};
}

Decoded decode_commit(JsonCursor* c) {
  const MsgKind kind = MsgKind::kBlockCommit;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  BlockCommit m;
  bool signatures = false, shapes_ok = true;
  Scalar hash, height;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "block_hash")
      read_scalar(*c, hash);
    else if (key == "height")
      read_scalar(*c, height);
    else if (key == "signatures")
      signatures = read_signatures(*c, m.signers, shapes_ok);
    else
      c->skip_value();
  }
  if (!u64_of(hash, m.block_hash) || !u64_of(height, m.height) || !signatures)
    return fields_error(kind, "expected block_hash, height, signatures");
  if (!shapes_ok) return fields_error(kind, "a signature is [address, bytes]");
  return Message{std::move(m)};
}

Decoded decode_tx_broadcast(JsonCursor* c) {
  const MsgKind kind = MsgKind::kTransactionBroadcast;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  TransactionBroadcast t;
  Scalar txid, timestamp;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "txid")
      read_scalar(*c, txid);
    else if (key == "timestamp")
      read_scalar(*c, timestamp);
    else
      c->skip_value();
  }
  if (!u64_of(txid, t.txid) || !i64_of(timestamp, t.timestamp))
    return fields_error(kind, "expected txid, timestamp");
  return Message{t};
}

Decoded decode_tx_vote(JsonCursor* c) {
  const MsgKind kind = MsgKind::kTransactionVote;
  if (!enter(c, '{')) return fields_error(kind, "expected an object");
  TransactionVote v;
  bool voter = false;
  Scalar txid, approve, timestamp;
  std::string_view key;
  while (c->next_member(key)) {
    if (key == "txid")
      read_scalar(*c, txid);
    else if (key == "voter")
      read_string(*c, v.voter, voter);
    else if (key == "approve")
      read_scalar(*c, approve);
    else if (key == "timestamp")
      read_scalar(*c, timestamp);
    else
      c->skip_value();
  }
  if (!u64_of(txid, v.txid) || !voter || !bool_of(approve, v.approve) ||
      !i64_of(timestamp, v.timestamp))
    return fields_error(kind, "expected txid, voter, approve, timestamp");
  return Message{std::move(v)};
}

// A variant the model carries verbatim: its content as nlohmann::json dumps it (keys sorted,
// repeated keys once), from the span the cursor validated.
Decoded decode_opaque(MsgKind kind, JsonCursor* c) {
  if (!c) return Message{Opaque{kind, std::string()}};
  c->peek_value();  // skips the whitespace before the value
  const std::size_t start = c->offset();
  if (!c->skip_value()) return Message{Opaque{kind, std::string()}};  // the line is invalid
  const std::string_view span = c->text().substr(start, c->offset() - start);
  const auto j = nlohmann::json::parse(span.begin(), span.end(), nullptr, false);
  return Message{Opaque{kind, j.is_discarded() ? std::string() : j.dump()}};
}

// The content of variant `kind`, read from `c`; c == nullptr for the bare-string form.
Decoded decode_body(MsgKind kind, JsonCursor* c) {
  switch (kind) {
    case MsgKind::kHandshake:
      return decode_handshake(c);
    case MsgKind::kAck:
      return decode_ack(c);
    case MsgKind::kPing:
    case MsgKind::kPong:
      return decode_ping_pong(kind, c);
    case MsgKind::kGetPeers:
    case MsgKind::kGetBlockHeight:
      return decode_unit(kind, c);
    case MsgKind::kPeersResponse:
      return decode_peers(c);
    case MsgKind::kHeartbeat:
      return decode_heartbeat(c);
    case MsgKind::kBlockHeightResponse:
      return decode_height(c);
    case MsgKind::kGetBlocks:
      return decode_get_blocks(c);
    case MsgKind::kBlocksResponse:
      return decode_blocks(c);
    case MsgKind::kBlockProposal:
      return decode_proposal(c);
    case MsgKind::kBlockVote:
      return decode_block_vote(c);
    case MsgKind::kBlockCommit:
      return decode_commit(c);
    case MsgKind::kTransactionBroadcast:
      return decode_tx_broadcast(c);
    case MsgKind::kTransactionVote:
      return decode_tx_vote(c);
    default:
      return decode_opaque(kind, c);
  }
}

DecodeError not_one_variant() {
  return DecodeError{DecodeErrorKind::kUnknownVariant,
                     "expected a variant name or a one-key object"};
}

// {"Name": content}: exactly one distinct key (a repeated one counts once; its last
// content wins), a variant name.
Decoded decode_tagged(JsonCursor& c) {
  c.begin_object();
  int distinct = 0;  // distinct keys seen, counted up to 2
  MsgKind kind{};
  bool known = false;
  std::string unknown_name;
  std::optional<Decoded> body;
  std::string_view key;
  while (c.next_member(key)) {
    if (distinct == 0) {
      distinct = 1;
      known = msg_kind_from_name(key, kind);
      if (!known) unknown_name.assign(key);
    } else if (distinct == 1 && key != (known ? msg_kind_name(kind) : unknown_name)) {
      distinct = 2;
    }
    if (distinct == 1 && known)
      body.emplace(decode_body(kind, &c));
    else
      c.skip_value();
  }
  if (distinct != 1) return not_one_variant();
  if (!known) return unknown_variant(unknown_name);
  return std::move(*body);
}

Decoded decode_document(JsonCursor& c) {
  switch (c.peek_value()) {
    case '"': {
      std::string_view name;
      MsgKind kind{};
      if (!c.string(name)) return not_one_variant();  // (the line is invalid)
      if (!msg_kind_from_name(name, kind)) return unknown_variant(name);
      return decode_body(kind, nullptr);
    }
    case '{':
      return decode_tagged(c);
    default:
      c.skip_value();
      return not_one_variant();
  }
}

}  // namespace

namespace {

// The digits of a JSON integer at the front of `s`, as `v`: the canonical form only (no
// sign, no leading zero, at most 20 digits and at most UINT64_MAX). Returns the digit count,
// 0 when `s` does not start with such a number (the general decoder then decides).
// Eight ASCII digits at `p` (little-endian load), or false (fast_float's SWAR test and sum).
bool eight_digits(const char* p, std::uint64_t& value) {
  static_assert(std::endian::native == std::endian::little);
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if ((((v + 0x4646464646464646u) | (v - 0x3030303030303030u)) & 0x8080808080808080u) != 0)
    return false;
  v -= 0x3030303030303030u;
  v = v * 10 + (v >> 8);  // adjacent digits paired
  v = (((v & 0x000000FF000000FFu) * 0x000F424000000064u) +
       (((v >> 16) & 0x000000FF000000FFu) * 0x0000271000000001u)) >>
      32;
  value = v;
  return true;
}

std::size_t canonical_u64(std::string_view s, std::uint64_t& out) {
  const auto digit = [&s](std::size_t i) { return static_cast<unsigned>(s[i] - '0'); };
  const std::size_t n = std::min<std::size_t>(s.size(), 21);
  const std::size_t safe = std::min<std::size_t>(n, 19);  // 19 digits cannot overflow
  std::uint64_t v = 0, eight = 0;
  std::size_t i = 0;
  for (; i + 8 <= safe && eight_digits(s.data() + i, eight); i += 8)
    v = v * 100'000'000 + eight;
  for (; i < safe && digit(i) <= 9; ++i)
    v = v * 10 + digit(i);
  if (i == 0 || (i > 1 && s[0] == '0')) return 0;
  if (i == 19 && i < n && digit(i) <= 9) {  // a 20th digit: only up to UINT64_MAX
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, digit(i), &v)) return 0;
    if (++i < n && digit(i) <= 9) return 0;  // 21 digits
  }
  out = v;
  return i;
}

// Ping and Pong in the exact bytes encode() writes, {"Ping":{"nonce":N,"timestamp":T}} with
// N and T canonical and T >= 0: the most frequent lines, decoded without the cursor. Any
// other spelling (spaces, key order, signs, exponents, NUL, trailing bytes) returns false
// and goes through decode_document, so the result is the general decoder's either way.
struct CanonicalPingPong {
  bool ping = false;
  std::uint64_t nonce = 0;
  std::int64_t timestamp = 0;
};
bool decode_canonical_ping_pong(std::string_view line, CanonicalPingPong& out) {
  constexpr std::string_view kPing = "{\"Ping\":{\"nonce\":", kPong = "{\"Pong\":{\"nonce\":";
  constexpr std::string_view kTimestamp = ",\"timestamp\":", kEnd = "}}";
  const bool ping = line.starts_with(kPing);
  if (!ping && !line.starts_with(kPong)) return false;
  line.remove_prefix(kPing.size());
  std::uint64_t nonce = 0, ts = 0;
  const std::size_t n = canonical_u64(line, nonce);
  if (n == 0) return false;
  line.remove_prefix(n);
  if (!line.starts_with(kTimestamp)) return false;
  line.remove_prefix(kTimestamp.size());
  const std::size_t t = canonical_u64(line, ts);
  if (t == 0 || ts > static_cast<std::uint64_t>(INT64_MAX) || line.substr(t) != kEnd) return false;
  out = {ping, nonce, static_cast<std::int64_t>(ts)};
  return true;
}

Result<Message, DecodeError> decode_trimmed(std::string_view line) {
  if (CanonicalPingPong p; decode_canonical_ping_pong(line, p)) {
    if (p.ping) return Message{Ping{p.nonce, p.timestamp}};
    return Message{Pong{p.nonce, p.timestamp}};
  }
  // nlohmann's lexer reads a NUL byte as the end of the input: what follows one is never
  // read (and a NUL inside a string or literal leaves it unfinished either way).
  JsonCursor c(line.substr(0, line.find('\0')));
  c.skip_bom();
  Decoded d = decode_document(c);
  if (c.failed() || !c.at_end()) {
    std::string shown(line.substr(0, 64));
    for (auto& ch : shown)
      if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) > 0x7e) ch = '?';
    return DecodeError{DecodeErrorKind::kInvalidJson, "not a JSON value: '" + shown + "'"};
  }
  return d;
}

}  // namespace

// A long line's result is memoised per thread: decoding is a pure function of the line, and
// the long lines (masternode lists: ~15 KB each at 100 nodes, sent on every connection every
// minute) repeat. The memo is never iterated; it is dropped whole past kMemoBytes.
Result<Message, DecodeError> decode_line(std::string_view line) {
  line = trim(line);
  constexpr std::size_t kMemoFromBytes = 1024;  // shorter lines decode faster than a lookup
  constexpr std::size_t kMemoBytes = 64u << 20;
  if (line.size() < kMemoFromBytes) return decode_trimmed(line);
  struct Entry {
    std::string line;
    Result<Message, DecodeError> result;
  };
  thread_local std::unordered_map<std::size_t, Entry> memo;
  thread_local std::size_t memo_bytes = 0;
  const std::size_t key = std::hash<std::string_view>{}(line);
  if (auto it = memo.find(key); it != memo.end() && it->second.line == line)
    return it->second.result;
  if (memo_bytes > kMemoBytes) {
    memo.clear();
    memo_bytes = 0;
  }
  memo_bytes += 2 * line.size();  // the line and, at most about as much, its content
  auto result = decode_trimmed(line);
  memo.insert_or_assign(key, Entry{std::string(line), result});  // a collision replaces
  return result;
}

}  // namespace ts::node
