#include "node_core/codec.h"

#include <nlohmann/json.hpp>

namespace ts::node {
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
    default:
      return Message{Opaque{kind, body ? body->dump() : std::string()}};
  }
}

}  // namespace

std::string_view decode_error_kind_name(DecodeErrorKind kind) {
  switch (kind) {
    case DecodeErrorKind::kInvalidJson:
      return "invalid_json";
    case DecodeErrorKind::kUnknownVariant:
      return "unknown_variant";
    case DecodeErrorKind::kInvalidFields:
      return "invalid_fields";
  }
  return "?";
}

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
  encode(m, s);
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

std::optional<std::string_view> LineBuffer::next_line() {
  if (start_ > 0 && start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  const auto nl = buf_.find('\n', start_);
  if (nl == std::string::npos) {
    if (max_line_bytes_ > 0 && buf_.size() - start_ > max_line_bytes_) {
      overflowed_ = true;
      buf_.clear();
      start_ = 0;
    } else if (start_ > 0 && start_ * 2 >= buf_.size()) {
      buf_.erase(0, start_);  // compact: keep only the partial line
      start_ = 0;
    }
    return std::nullopt;
  }
  std::string_view line(buf_.data() + start_, nl - start_);
  start_ = nl + 1;
  if (max_line_bytes_ > 0 && line.size() > max_line_bytes_) {
    overflowed_ = true;
    return std::nullopt;
  }
  return line;
}

}  // namespace ts::node
