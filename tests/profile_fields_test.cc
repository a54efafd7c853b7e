// The field table (node_core/profile_fields.h) covers every member of VersionProfile and
// ProtocolTimers, each line reaches its own member, and every value round-trips.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <string>
#include <utility>

#include "node_core/profile_fields.h"
#include "node_core/version_profile.h"
#include "test_util.h"

using namespace ts;
using namespace ts::node;

namespace {

// Counts the members of aggregate T: the largest N for which T{x1, ..., xN} compiles with
// values convertible to anything. (A nested aggregate takes one value: it converts whole.)
struct AnyValue {
  template <typename T>
  operator T() const;  // declared only: used in unevaluated contexts
};
template <typename T, std::size_t... I>
constexpr bool brace_constructible(std::index_sequence<I...>) {
  return requires {
    T{(void(I), AnyValue{})...};
  };
}
template <typename T, std::size_t N = 0>
constexpr std::size_t member_count() {
  if constexpr (brace_constructible<T>(std::make_index_sequence<N + 1>{}))
    return member_count<T, N + 1>();
  else
    return N;
}

// A value of `f`'s type that differs from `v`, within the field's bounds.
FieldValue other_value(const ProfileField& f, const FieldValue& v) {
  switch (f.type) {
    case FieldType::kBool:
      return !std::get<bool>(v);
    case FieldType::kCount:
    case FieldType::kBytes:
      return FieldValue(std::in_place_type<std::uint64_t>, std::get<std::uint64_t>(v) + 7);
    case FieldType::kDuration:
      if (std::get<Duration>(v) == kNever)
        return FieldValue(std::in_place_type<Duration>, seconds(7));
      return FieldValue(std::in_place_type<Duration>, std::get<Duration>(v) + millis(1500));
    case FieldType::kString:
      return std::string_view("othernet");
    case FieldType::kEnum:  // the next choice
      for (std::size_t i = 0; i < f.choices.size(); ++i)
        if (f.choices[i] == std::get<std::string_view>(v))
          return FieldValue(f.choices[(i + 1) % f.choices.size()]);
      return v;
  }
  return v;
}

}  // namespace

TEST_CASE("profile fields: the table lists every member of VersionProfile and ProtocolTimers") {
  // VersionProfile's members that are not fields: name, commit, description and base. Each
  // group member (timers, consensus, ...) stands for its own members, one field each; the
  // blacklist's ladder is 3 steps of 2 fields each. A new group: one `group<...>` line.
  constexpr std::size_t kIdentityMembers = 4;
  constexpr std::size_t kLadderFields = 3 * 2;
  std::size_t members = member_count<VersionProfile>() - kIdentityMembers;
  auto group = [&](std::size_t fields) { members += fields - 1; };  // -1: the group member
  group(member_count<ProtocolTimers>());
  group(member_count<ConsensusRules>());
  group(member_count<BlacklistPolicy>() - 1 + kLadderFields);
  group(member_count<KeepaliveConfig>());
  group(member_count<WireFormat>());
  group(member_count<DialerPolicy>());
  group(member_count<GossipPolicy>());
  group(member_count<InboundPolicy>() - 1 + kRateBucketCount * 2);          // 2 fields per bucket
  group(member_count<ConnPolicy>() - 1 + member_count<AdmissionLimits>());  // conn.limit.*
  group(member_count<BroadcastPolicy>());
  group(member_count<PexPolicy>());
  CAPTURE(member_count<VersionProfile>());
  CAPTURE(member_count<ProtocolTimers>());
  CAPTURE(member_count<ConsensusRules>());
  CAPTURE(member_count<BlacklistPolicy>());
  CAPTURE(member_count<KeepaliveConfig>());
  CAPTURE(member_count<DialerPolicy>());
  CAPTURE(member_count<InboundPolicy>());
  CAPTURE(member_count<GossipPolicy>());
  CAPTURE(member_count<ConnPolicy>());
  CAPTURE(member_count<AdmissionLimits>());
  // If this fails after adding a member: add its line to kFields in node_core/profile_fields.cc.
  CHECK(profile_fields().size() == members);
  std::set<std::string_view> keys;
  for (const auto& f : profile_fields()) {
    CAPTURE(f.key);
    CHECK(keys.insert(f.key).second);
    CHECK(find_profile_field(f.key) == &f);
    CHECK_FALSE(f.doc.empty());
  }
}

TEST_CASE("profile fields: each line gets and sets its own member, and values round-trip") {
  const VersionProfile base = *find_profile("hypothetical-full-outbound");
  for (const auto& f : profile_fields()) {
    CAPTURE(f.key);
    const FieldValue v = f.get(base);
    // The value's alternative is the one its type says.
    switch (f.type) {
      case FieldType::kBool:
        CHECK(std::holds_alternative<bool>(v));
        break;
      case FieldType::kCount:
      case FieldType::kBytes:
        CHECK(std::holds_alternative<std::uint64_t>(v));
        break;
      case FieldType::kDuration:
        CHECK(std::holds_alternative<Duration>(v));
        break;
      case FieldType::kString:
      case FieldType::kEnum:
        CHECK(std::holds_alternative<std::string_view>(v));
        break;
    }
    VersionProfile p = base;
    const FieldValue changed = other_value(f, v);
    f.set(p, changed);
    CHECK(f.get(p) == changed);
    CHECK_FALSE(field_equal(f, p, base));
    // No other line sees the change: two lines on one member would (and then, the count
    // being equal, some member would have no line).
    for (const auto& g : profile_fields()) {
      if (&g == &f) continue;
      CAPTURE(g.key);
      CHECK(field_equal(g, p, base));
    }
  }
}

TEST_CASE("profile fields: values are written as a scenario would write them") {
  CHECK(format_field_value(FieldType::kDuration, Duration{seconds(30)}) == "30s");
  CHECK(format_field_value(FieldType::kDuration, Duration{seconds(90)}) == "1m30s");
  CHECK(format_field_value(FieldType::kDuration, Duration{millis(100)}) == "100ms");
  CHECK(format_field_value(FieldType::kDuration, Duration{kHour + 5}) == "1h5ns");
  CHECK(format_field_value(FieldType::kBool, true) == "true");
  CHECK(format_field_value(FieldType::kBytes,
                           FieldValue(std::in_place_type<std::uint64_t>, 2'000'000)) == "2000000");
  CHECK(format_field_value(FieldType::kString, std::string_view("mainnet")) == "mainnet");
  const auto& post = *find_profile("post-fix");
  CHECK(format_field_value(FieldType::kDuration, find_profile_field("reconnect.max")->get(post)) ==
        "5m");
}

TEST_CASE("profile fields: docs/scenario.md's field table lists exactly the table's keys") {
  std::ifstream in(test::source_path("docs/scenario.md"));
  REQUIRE(in.good());
  std::set<std::string> documented;
  for (std::string line; std::getline(in, line);) {
    // Rows of the field table: | `key` | type | meaning |
    if (line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    const auto type_at = line.find("| ", end);
    if (end == std::string::npos || type_at == std::string::npos) continue;
    const std::string type = line.substr(type_at + 2, line.find(' ', type_at + 2) - type_at - 2);
    if (type != "bool" && type != "count" && type != "duration" && type != "bytes" &&
        type != "string" && type != "enum")
      continue;
    documented.insert(line.substr(3, end - 3));
  }
  std::set<std::string> keys;
  for (const auto& f : profile_fields())
    keys.insert(std::string(f.key));
  for (const auto& k : keys) {
    CAPTURE(k);
    CHECK(documented.count(k) == 1);
  }
  for (const auto& k : documented) {
    CAPTURE(k);
    CHECK(keys.count(k) == 1);
  }
}
