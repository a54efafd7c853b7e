// The field table of VersionProfile and ProtocolTimers: every behaviour switch and timer as
// data, with the key a scenario's `versions:` block uses for it, its type, the smallest
// value that makes sense, a doc line, and get/set access.
//
// One list (profile_fields.cc) drives the `versions:` parser, `timesim versions`, the
// results DB's `profiles` rows and the summary's timer reads. Adding a field to
// VersionProfile or ProtocolTimers means adding one line to that list;
// tests/profile_fields_test.cc fails until it is there.
//
// Keys are dotted paths: "reconnect.initial" is `reconnect: {initial: 2s}` in YAML.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "common/time.h"
#include "node_core/version_profile.h"

namespace ts::node {

enum class FieldType {
  kBool,      // true / false
  kCount,     // a non-negative integer
  kDuration,  // ns; written as 90s, 250ms, 1m30s
  kBytes,     // a byte count; written as 2000000, 64KiB, 2MB
  kString,    // printable ASCII, 1..64 bytes
  kEnum,      // one of the field's `choices` (stored as that name's view)
};
std::string_view field_type_name(FieldType t);  // "bool", "count", ...

// A field's value: bool for kBool, std::uint64_t for kCount and kBytes, Duration for
// kDuration, std::string_view for kString (set() stores the view: the caller owns the text)
// and for kEnum (a view of one of the field's static `choices`).
using FieldValue = std::variant<bool, std::uint64_t, Duration, std::string_view>;

struct ProfileField {
  std::string_view key;  // YAML key, dotted for nested groups
  FieldType type;
  std::int64_t min;  // smallest valid value (kCount, kBytes, kDuration); 0 = "0 allowed"
  std::string_view doc;
  FieldValue (*get)(const VersionProfile&);
  void (*set)(VersionProfile&, const FieldValue&);  // the value must hold the type's alternative
  // kDuration only: `none` is a valid value, stored as kNever (no such timer at all, e.g.
  // no connect timeout, a permanent ban).
  bool none_allowed = false;
  // kEnum only: the valid names, in the enum's order (value i is choices[i]).
  std::span<const std::string_view> choices = {};
};

// An enum member as a field value and back: `names` lists the enum's names in value order.
// enum_from_value() leaves `e` unchanged for a name that is not in `names`.
template <typename E>
FieldValue enum_value(E e, std::span<const std::string_view> names) {
  return FieldValue(names[static_cast<std::size_t>(e)]);
}
template <typename E>
void enum_from_value(E& e, const FieldValue& v, std::span<const std::string_view> names) {
  const auto name = std::get<std::string_view>(v);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) e = static_cast<E>(i);
}

// Upper bounds, so that no profile value overflows virtual time or memory.
inline constexpr Duration kMaxFieldDuration = 365 * 24 * kHour;
inline constexpr std::uint64_t kMaxFieldCount = 1'000'000;
inline constexpr std::uint64_t kMaxFieldBytes = 1ULL << 40;
inline constexpr std::size_t kMaxFieldStringBytes = 64;

// Every field, in documentation order.
std::span<const ProfileField> profile_fields();
// The field with key `key`, or nullptr.
const ProfileField* find_profile_field(std::string_view key);

// The value as a scenario would write it: "true", "5", "1m30s", "2000000", "mainnet",
// "none" (a kNever duration).
// Durations use the largest units that are exact (parse back to the same ns).
std::string format_field_value(FieldType t, const FieldValue& v);
// The value as one integer (bools 0/1, durations in ns), or nothing for strings.
bool field_number(const FieldValue& v, std::int64_t& out);

// Whether two profiles agree on `f`.
bool field_equal(const ProfileField& f, const VersionProfile& a, const VersionProfile& b);

// Cross-field rules a profile must keep, or "" when it does: e.g. "'reconnect.max' must be at
// least 'reconnect.initial'". Checked after every field is set.
std::string profile_consistency_error(const VersionProfile& p);

}  // namespace ts::node
