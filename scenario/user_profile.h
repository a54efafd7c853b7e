// A version profile a scenario defines in `versions:` (docs/scenario.md): a base profile
// (built-in or defined in the same block) plus overrides. It owns the strings its
// VersionProfile's views point at, so it is neither copied nor moved: scenarios hold it
// through shared_ptr, and NodeSpec / Fault point at its `profile`.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node_core/version_profile.h"

namespace ts::sim {

struct UserProfile {
  UserProfile() = default;
  UserProfile(const UserProfile&) = delete;
  UserProfile& operator=(const UserProfile&) = delete;

  std::string name, base, commit, description;
  std::deque<std::string> strings;     // kString overrides' text (a deque: views stay valid)
  node::VersionProfile profile;        // its views point into the strings above
  std::vector<std::string> overrides;  // field keys set in the file, in file order
};

using UserProfiles = std::vector<std::shared_ptr<const UserProfile>>;

// The profile called `name`: a scenario's own first, then the built-ins; nullptr if none.
const node::VersionProfile* find_version(const UserProfiles& own, std::string_view name);
// "pre-fix, logging-fix, post-fix, hypothetical-full-outbound[, own names in file order]", for
// messages. "did you mean 'post-fix'? 30 known: ..." for a version name that is not known.
std::string known_versions(const UserProfiles& own, std::string_view unknown);

}  // namespace ts::sim
