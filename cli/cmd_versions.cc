// `timesim versions [SCENARIO.yaml] [--json] [--fields]`: the version profiles, each with its
// commit, description and what differs from its base, computed from the field table
// (node_core/profile_fields.h). With a scenario, also the profiles its `versions:` block
// defines. --fields lists the field table itself: every key a `versions:` entry may set.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "node_core/profile_fields.h"
#include "scenario/scenario_versions.h"

namespace ts::cli {
namespace {

struct VersionsOptions {
  std::string scenario;
  bool json = false;
  bool fields = false;
};

struct Change {
  std::string key, from, to;
};

// The fields where `p` differs from `base`, in table order.
std::vector<Change> changes(const node::VersionProfile& p, const node::VersionProfile& base) {
  std::vector<Change> out;
  for (const auto& f : node::profile_fields())
    if (!node::field_equal(f, p, base))
      out.push_back({std::string(f.key), node::format_field_value(f.type, f.get(base)),
                     node::format_field_value(f.type, f.get(p))});
  return out;
}

// The profile `p` is compared with: its base, or the table's defaults for the oldest.
node::VersionProfile base_of(const node::VersionProfile& p, const sim::UserProfiles& own) {
  if (const auto* b = sim::find_version(own, p.base)) return *b;
  return node::VersionProfile{};
}

nlohmann::json profile_json(const node::VersionProfile& p, const sim::UserProfiles& own) {
  nlohmann::json j = {{"name", p.name},
                      {"commit", p.commit},
                      {"base", p.base},
                      {"description", p.description},
                      {"changes", nlohmann::json::array()},
                      {"fields", nlohmann::json::object()}};
  for (const auto& c : changes(p, base_of(p, own)))
    j["changes"].push_back({{"key", c.key}, {"from", c.from}, {"to", c.to}});
  for (const auto& f : node::profile_fields())
    j["fields"][std::string(f.key)] = node::format_field_value(f.type, f.get(p));
  return j;
}

void print_profile(std::string& out, const node::VersionProfile& p, const sim::UserProfiles& own) {
  out += fmt::format("{:<16} {:<22} {}\n", p.name, p.commit, p.description);
  const auto diff = changes(p, base_of(p, own));
  std::string what;
  for (const auto& c : diff)
    what += fmt::format("{}{} {} -> {}", what.empty() ? "" : ", ", c.key, c.from, c.to);
  if (p.base.empty())
    out += fmt::format("  the oldest: {}\n",
                       diff.empty() ? "every field at its default (timesim versions --fields)"
                                    : "differs from the defaults in " + what);
  else
    out += fmt::format("  changes from {}: {}\n", p.base, diff.empty() ? "nothing" : what);
}

int print_fields(bool json) {
  const node::VersionProfile defaults;
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& f : node::profile_fields())
      j.push_back({{"key", f.key},
                   {"type", node::field_type_name(f.type)},
                   {"default", node::format_field_value(f.type, f.get(defaults))},
                   {"doc", f.doc}});
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  std::string out = fmt::format("{:<30} {:<9} {:<9} {}\n", "key", "type", "default", "meaning");
  for (const auto& f : node::profile_fields())
    out += fmt::format("{:<30} {:<9} {:<9} {}\n", f.key, node::field_type_name(f.type),
                       node::format_field_value(f.type, f.get(defaults)), f.doc);
  fmt::print("{}", out);
  return 0;
}

int print_versions(const VersionsOptions& o) {
  if (o.fields) return print_fields(o.json);
  sim::UserProfiles own;
  if (!o.scenario.empty()) {
    auto sc = load_scenario_with_overrides(o.scenario, nullptr, 0, "");
    if (!sc) return fail(2, sc.error().message);
    own = sc->user_profiles;
  }
  if (o.json) {
    nlohmann::json j = {{"builtin", nlohmann::json::array()}};
    for (const auto& p : node::all_profiles())
      j["builtin"].push_back(profile_json(p, own));
    if (!o.scenario.empty()) {
      j["scenario"] = nlohmann::json::array();
      for (const auto& u : own)
        j["scenario"].push_back(profile_json(u->profile, own));
    }
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  std::string out = "Built-in versions (node_core/version_profile.cc)\n";
  for (const auto& p : node::all_profiles())
    print_profile(out, p, own);
  if (!o.scenario.empty()) {
    out += fmt::format("\nVersions defined in {} (versions:)\n", o.scenario);
    if (own.empty()) out += "  none\n";
    for (const auto& u : own)
      print_profile(out, u->profile, own);
  }
  fmt::print("{}", out);
  return 0;
}

}  // namespace

Command add_versions_command(CLI::App& app) {
  auto opts = std::make_shared<VersionsOptions>();
  auto* cmd = app.add_subcommand(
      "versions", "list the version profiles (built-in and a scenario's own) and their changes");
  cmd->add_option("scenario", opts->scenario, "also list this scenario's `versions:`");
  cmd->add_flag("--json", opts->json, "print JSON");
  cmd->add_flag("--fields", opts->fields, "list every field a `versions:` entry may set");
  return Command{cmd, [opts] { return print_versions(*opts); }};
}

}  // namespace ts::cli
