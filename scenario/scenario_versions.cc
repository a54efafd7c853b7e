#include "scenario/scenario_versions.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "common/quote.h"
#include "scenario/scenario.h"

namespace ts::sim {
namespace {

using node::FieldType;
using node::ProfileField;

constexpr std::size_t kMaxProfileNameBytes = 64;
constexpr std::size_t kMaxUserProfiles = 1000;
constexpr std::string_view kIdentityKeys[] = {"base", "description", "commit"};

Error at(const std::string& path, const YAML::Mark& m, const std::string& msg) {
  return Error{path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " +
               escape_control(msg)};
}

// Why `name` cannot name a profile, or "".
std::string bad_name_reason(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxProfileNameBytes) return "is longer than 64 bytes";
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      return "may hold only letters, digits, '-', '_' and '.'";
  return "";
}

// Whether some field key lies under `group` ("ping" for "ping.interval").
bool is_group(std::string_view group) {
  for (const auto& f : node::profile_fields())
    if (f.key.size() > group.size() && f.key.substr(0, group.size()) == group &&
        f.key[group.size()] == '.')
      return true;
  return false;
}

// The keys one level below `prefix` ("" = the top of a profile), in table order.
std::string keys_below(const std::string& prefix) {
  std::vector<std::string> names;
  if (prefix.empty())
    for (auto k : kIdentityKeys)
      names.emplace_back(k);
  for (const auto& f : node::profile_fields()) {
    std::string_view k = f.key;
    if (!prefix.empty()) {
      if (k.size() <= prefix.size() || k.substr(0, prefix.size()) != prefix ||
          k[prefix.size()] != '.')
        continue;
      k.remove_prefix(prefix.size() + 1);
    }
    const std::string head(k.substr(0, k.find('.')));
    if (std::find(names.begin(), names.end(), head) == names.end()) names.push_back(head);
  }
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

Result<std::uint64_t> parse_bytes(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9')
    ++i;
  const std::string_view unit = text.substr(i);
  static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {{"", 1},
                                                                          {"B", 1},
                                                                          {"KB", 1000},
                                                                          {"MB", 1000'000},
                                                                          {"GB", 1000'000'000},
                                                                          {"KiB", 1ULL << 10},
                                                                          {"MiB", 1ULL << 20},
                                                                          {"GiB", 1ULL << 30}};
  std::uint64_t mult = 0;
  for (const auto& [name, m] : kUnits)
    if (unit == name) mult = m;
  if (i == 0 || mult == 0) return Error{"must be a byte count such as 65536, 64KiB or 2MB"};
  auto n = parse_uint(text.substr(0, i), node::kMaxFieldBytes);
  if (!n || *n > node::kMaxFieldBytes / mult)
    return Error{"must be at most " + std::to_string(node::kMaxFieldBytes) + " bytes (1TiB)"};
  return *n * mult;
}

Result<node::FieldValue> parse_value(const ProfileField& f, std::string_view text) {
  const std::string below_min = "must be at least " + std::to_string(f.min);
  switch (f.type) {
    case FieldType::kBool:
      if (text == "true") return node::FieldValue(true);
      if (text == "false") return node::FieldValue(false);
      return Error{"must be true or false"};
    case FieldType::kCount: {
      auto n = parse_uint(text, node::kMaxFieldCount);
      if (!n) return n.error();
      if (*n < static_cast<std::uint64_t>(f.min)) return Error{below_min};
      return node::FieldValue(std::in_place_type<std::uint64_t>, *n);
    }
    case FieldType::kBytes: {
      auto n = parse_bytes(text);
      if (!n) return n.error();
      if (*n < static_cast<std::uint64_t>(f.min)) return Error{below_min};
      return node::FieldValue(std::in_place_type<std::uint64_t>, *n);
    }
    case FieldType::kDuration: {
      if (f.none_allowed && text == "none")
        return node::FieldValue(std::in_place_type<Duration>, kNever);
      if (!text.empty() && text[0] == '-') return Error{"must not be negative"};
      Duration d = 0;
      if (text != "0" && text != "0s") {
        auto v = parse_duration(text);
        if (!v) return v.error();
        d = *v;
      }
      if (d < f.min) return Error{"must be more than 0 (a duration such as 30s)"};
      if (d > node::kMaxFieldDuration) return Error{"must be at most 365d"};
      return node::FieldValue(std::in_place_type<Duration>, d);
    }
    case FieldType::kString: {
      if (text.empty() || text.size() > node::kMaxFieldStringBytes)
        return Error{"must be 1 to 64 bytes of text"};
      for (unsigned char c : text)
        if (c <= 0x20 || c >= 0x7f) return Error{"must be printable ASCII without spaces"};
      return node::FieldValue(text);
    }
    case FieldType::kEnum: {
      std::string names;
      for (const auto& c : f.choices) {
        if (c == text) return node::FieldValue(c);  // the static name, not the YAML's text
        names += (names.empty() ? "" : ", ") + std::string(c);
      }
      return Error{"must be one of: " + names};
    }
  }
  return Error{"has an unknown type"};
}

// `commit:` is checked as a string field is.
constexpr ProfileField kCommitField = {"commit", FieldType::kString, 0, "", nullptr, nullptr,
                                       false};

// A profile of the block being built: its YAML and, once built, the result.
struct Entry {
  std::string name;
  YAML::Node key, body;
  enum class State { kNew, kBuilding, kDone } state = State::kNew;
  std::shared_ptr<UserProfile> built;
};

class VersionsParser {
 public:
  VersionsParser(const std::string& path, std::vector<Entry>& entries)
      : path_(path), entries_(entries) {}

  // Builds entries_[i] after its base (recursively), or the first error.
  Result<bool> build(std::size_t i, std::vector<std::string>& chain) {
    Entry& e = entries_[i];
    if (e.state == Entry::State::kDone) return true;
    e.state = Entry::State::kBuilding;
    chain.push_back(e.name);
    const YAML::Node& body = e.body;
    if (!body.IsMap())
      return at(body.Mark(),
                "version " + quote(e.name) +
                    " must be a mapping such as {base: post-fix, ping: {interval: 10s}}");
    auto base_node = body["base"];
    if (!base_node)
      return at(e.key.Mark(),
                "version " + quote(e.name) + ": missing key 'base' (e.g. base: post-fix)");
    if (!base_node.IsScalar())
      return at(base_node.Mark(), "version " + quote(e.name) + ": 'base' must be a version name");
    const std::string base_name = base_node.Scalar();
    const node::VersionProfile* base = node::find_profile(base_name);
    if (!base) {
      std::size_t j = 0;
      while (j < entries_.size() && entries_[j].name != base_name)
        ++j;
      if (j == entries_.size()) {
        return at(base_node.Mark(), "version " + quote(e.name) + ": unknown base " +
                                        quote(base_name) + " (" + known_versions({}, base_name) +
                                        ")");
      }
      if (entries_[j].state == Entry::State::kBuilding) {
        std::string cycle;
        for (auto it = std::find(chain.begin(), chain.end(), base_name); it != chain.end(); ++it)
          cycle += *it + " -> ";
        return at(base_node.Mark(), "versions: the bases form a cycle: " + cycle + base_name);
      }
      if (auto ok = build(j, chain); !ok) return ok;
      base = &entries_[j].built->profile;
    }
    if (auto ok = make(e, *base, base_name); !ok) return ok;
    chain.pop_back();
    e.state = Entry::State::kDone;
    return true;
  }

 private:
  Error at(const YAML::Mark& m, const std::string& msg) const { return sim::at(path_, m, msg); }

  Result<bool> make(Entry& e, const node::VersionProfile& base, const std::string& base_name) {
    auto u = std::make_shared<UserProfile>();
    u->name = e.name;
    u->base = base_name;
    u->commit = std::string(base.commit) + "+" + e.name;
    u->profile = base;
    for (const auto& f : node::profile_fields())  // own copies of the inherited strings
      if (f.type == FieldType::kString)
        f.set(u->profile,
              std::string_view(u->strings.emplace_back(std::get<std::string_view>(f.get(base)))));
    std::set<std::string> seen;
    if (auto ok = fields(e, e.body, "", *u, seen); !ok) return ok;
    if (auto why = node::profile_consistency_error(u->profile); !why.empty())
      return at(e.key.Mark(), "version " + quote(e.name) + ": " + why);
    if (u->description.empty()) {
      u->description = "as " + base_name;
      for (std::size_t k = 0; k < u->overrides.size(); ++k) {
        const auto* f = node::find_profile_field(u->overrides[k]);
        u->description += (k ? ", " : ", but ") + u->overrides[k] + " " +
                          node::format_field_value(f->type, f->get(u->profile));
      }
    }
    u->profile.name = u->name;
    u->profile.base = u->base;
    u->profile.commit = u->commit;
    u->profile.description = u->description;
    e.built = std::move(u);
    return true;
  }

  // The keys of `map` under `prefix` ("" for the profile's top level).
  Result<bool> fields(const Entry& e, const YAML::Node& map, const std::string& prefix,
                      UserProfile& u, std::set<std::string>& seen) {
    const std::string where = "version " + quote(e.name);
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) return at(kv.first.Mark(), where + ": keys must be strings");
      const std::string key = kv.first.Scalar();
      const std::string full = prefix.empty() ? key : prefix + "." + key;
      if (kv.second.IsNull()) return at(kv.first.Mark(), quote(full) + " has no value");
      if (!seen.insert(full).second)
        return at(kv.first.Mark(), where + ": " + quote(full) + " is set twice");
      if (prefix.empty() && (key == "base" || key == "description" || key == "commit")) {
        if (!kv.second.IsScalar())
          return at(kv.second.Mark(), where + ": " + quote(key) + " must be a string");
        if (key == "description") u.description = kv.second.Scalar();
        if (key == "commit") {
          auto ok = parse_value(kCommitField, kv.second.Scalar());
          if (!ok) return at(kv.second.Mark(), where + ": 'commit' " + ok.error().message);
          u.commit = kv.second.Scalar();
        }
        continue;
      }
      if (const auto* f = node::find_profile_field(full)) {
        if (!kv.second.IsScalar())
          return at(kv.second.Mark(), where + ": " + quote(full) + " must be a " +
                                          std::string(node::field_type_name(f->type)));
        if (auto ok = set_field_from_text(*f, kv.second.Scalar(), u.profile, u.strings); !ok)
          return at(kv.second.Mark(), where + ": " + ok.error().message);
        u.overrides.push_back(full);
        continue;
      }
      if (is_group(full)) {
        if (!kv.second.IsMap())
          return at(kv.second.Mark(),
                    where + ": " + quote(full) + " must be a mapping of " + keys_below(full));
        if (auto ok = fields(e, kv.second, full, u, seen); !ok) return ok;
        continue;
      }
      return at(kv.first.Mark(), "unknown key " + quote(key) + " in " + where +
                                     (prefix.empty() ? "" : " group " + quote(prefix)) +
                                     " (expected one of: " + keys_below(prefix) + ")");
    }
    return true;
  }

  const std::string& path_;
  std::vector<Entry>& entries_;
};

std::string yaml_quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

Result<bool> set_field_from_text(const node::ProfileField& f, std::string_view text,
                                 node::VersionProfile& p, std::deque<std::string>& strings) {
  auto v = parse_value(f, text);
  if (!v) return Error{quote(f.key) + " " + v.error().message};
  if (f.type == FieldType::kString)
    v = node::FieldValue(std::string_view(strings.emplace_back(text)));
  f.set(p, *v);
  return true;
}

Result<UserProfiles> parse_versions(const YAML::Node& versions, const std::string& path) {
  if (!versions.IsMap())
    return at(path, versions.Mark(),
              "'versions' must map new version names to {base: ..., overrides}");
  if (versions.size() > kMaxUserProfiles)  // bounds the recursion over chains of bases
    return at(path, versions.Mark(),
              "'versions' defines " + std::to_string(versions.size()) + " profiles (at most " +
                  std::to_string(kMaxUserProfiles) + ")");
  std::vector<Entry> entries;
  for (const auto& kv : versions) {
    if (!kv.first.IsScalar()) return at(path, kv.first.Mark(), "versions: names must be strings");
    const std::string name = kv.first.Scalar();
    if (auto why = bad_name_reason(name); !why.empty())
      return at(path, kv.first.Mark(), "version name " + quote(name) + " " + why);
    if (node::find_profile(name))
      return at(path, kv.first.Mark(),
                "version " + quote(name) + " is a built-in version; give yours another name");
    for (const auto& e : entries)
      if (e.name == name)
        return at(path, kv.first.Mark(), "version " + quote(name) + " is defined twice");
    if (kv.second.IsNull()) return at(path, kv.first.Mark(), quote(name) + " has no value");
    entries.push_back(Entry{name, kv.first, kv.second, Entry::State::kNew, nullptr});
  }
  VersionsParser parser(path, entries);
  UserProfiles out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::vector<std::string> chain;
    if (auto ok = parser.build(i, chain); !ok) return ok.error();
    out.push_back(entries[i].built);
  }
  return out;
}

std::string profile_to_yaml(const node::VersionProfile& p) {
  std::string out = "{";
  auto item = [&](const std::string& k, const std::string& v) {
    out += (out.size() > 1 ? ", " : "") + k + ": " + v;
  };
  if (!p.base.empty()) item("base", std::string(p.base));
  item("description", yaml_quoted(p.description));
  item("commit", std::string(p.commit));
  std::set<std::string> groups_done;
  const auto fields = node::profile_fields();
  for (const auto& f : fields) {
    const auto value = [&](const node::ProfileField& g) {
      const auto text = node::format_field_value(g.type, g.get(p));
      return g.type == FieldType::kString ? yaml_quoted(text) : text;
    };
    const auto dot = f.key.find('.');
    if (dot == std::string_view::npos) {
      item(std::string(f.key), value(f));
      continue;
    }
    const std::string group(f.key.substr(0, dot));
    if (!groups_done.insert(group).second) continue;
    std::string inner;
    for (const auto& g : fields)
      if (g.key.substr(0, dot + 1) == group + ".")
        inner += (inner.empty() ? "" : ", ") + std::string(g.key.substr(dot + 1)) + ": " + value(g);
    item(group, "{" + inner + "}");
  }
  return out + "}";
}

const node::VersionProfile* find_version(const UserProfiles& own, std::string_view name) {
  for (const auto& u : own)
    if (u->name == name) return &u->profile;
  return node::find_profile(name);
}

namespace {
// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string known_versions(const UserProfiles& own, std::string_view unknown) {
  std::vector<std::string> names;
  for (const auto& p : node::all_profiles())
    names.emplace_back(p.name);
  for (const auto& u : own)
    names.push_back(u->name);
  std::string best;
  std::size_t best_d = 4;  // suggest only a near miss
  for (const auto& n : names) {
    if (n == unknown) continue;
    const std::size_t d = unknown.size() > 200 ? best_d : edit_distance(unknown, n);
    if (d < best_d) best_d = d, best = n;
  }
  std::string out = best.empty() ? "" : "did you mean '" + best + "'? ";
  out += std::to_string(node::all_profiles().size()) + " built in, listed by timesim versions";
  if (!own.empty()) {
    out += "; the scenario's:";
    for (const auto& u : own)
      out += " " + u->name;
  }
  return out;
}

}  // namespace ts::sim
