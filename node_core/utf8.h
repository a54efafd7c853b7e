// UTF-8 validation as Rust's str::from_utf8 does it (tokio's read_line fails on a line that
// is not UTF-8): well-formed sequences only, no overlong forms, no surrogates, nothing above
// U+10FFFF.
#pragma once

#include <string_view>

namespace ts::node {

bool is_utf8(std::string_view s);

}  // namespace ts::node
