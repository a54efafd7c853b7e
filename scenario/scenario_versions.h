// A scenario's `versions:` block (docs/scenario.md): profiles defined as a base plus
// overrides of the fields in node_core/profile_fields.h, e.g.
//
//   versions:
//     my-fix: {base: post-fix, description: "faster redial", reconnect: {initial: 2s, max: 60s}}
//
// Strict: an unknown key, a wrong type, a value out of range, an unknown base, a cycle of
// bases, a name that is a built-in's or given twice are errors "path:line:col: message".
#pragma once

#include <yaml-cpp/yaml.h>

#include <deque>
#include <string>
#include <string_view>

#include "common/result.h"
#include "node_core/profile_fields.h"
#include "scenario/user_profile.h"

namespace ts::sim {

// Parses the `versions:` mapping; `path` is for messages only.
Result<UserProfiles> parse_versions(const YAML::Node& versions, const std::string& path);

// Sets field `f` of `p` from its YAML text ("30s", "true", "2MB", ...). A kString value is
// copied into `strings`, which `p` then views. The message has no location and starts with
// the key in quotes, e.g. "'ping.interval' must be more than 0".
Result<bool> set_field_from_text(const node::ProfileField& f, std::string_view text,
                                 node::VersionProfile& p, std::deque<std::string>& strings);

// The profile as a `versions:` entry body (flow YAML, every field, nested by group):
// "{base: post-fix, description: \"...\", handshake: {first: true, ...}, ...}".
std::string profile_to_yaml(const node::VersionProfile& p);

}  // namespace ts::sim
