// The previous wire codec (nlohmann DOM), kept as the reference the current one is checked
// against. Same contracts as node_core/codec.h's encode() and decode_line().
#pragma once

#include <string>
#include <string_view>

#include "node_core/codec.h"

namespace ts::node::reference {

void encode(const Message& m, std::string& out);
std::string encode(const Message& m);
Result<Message, DecodeError> decode_line(std::string_view line);

}  // namespace ts::node::reference
