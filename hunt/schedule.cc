#include "hunt/schedule.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>

#include "store/results_db.h"

namespace ts::hunt {
namespace {

// The keys a rendered candidate sets itself.
constexpr const char* kReplacedKeys[] = {"faults", "upgrades", "chaos",    "properties",
                                         "seed",   "name",     "duration", "nodes"};

bool replaced(const std::string& key) {
  return std::any_of(std::begin(kReplacedKeys), std::end(kReplacedKeys),
                     [&](const char* k) { return key == k; });
}

std::string duration_yaml(Duration d) {
  return d % kSecond == 0 ? fmt::format("{}s", d / kSecond) : fmt::format("{}ns", d);
}

// A YAML double-quoted string.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool keep_ids(std::vector<std::uint32_t>& ids, const std::vector<bool>& keep) {
  std::erase_if(ids, [&](std::uint32_t n) { return n >= keep.size() || !keep[n]; });
  return !ids.empty();
}

}  // namespace

std::optional<sim::Fault> restrict_fault(const sim::Fault& fault, const std::vector<bool>& keep) {
  sim::Fault f = fault;
  if (!f.group_of.empty()) {
    // Groups renumbered densely in order of first appearance, so none is left empty.
    std::vector<int> renumber;
    for (std::size_t n = 0; n < f.group_of.size(); ++n) {
      int& g = f.group_of[n];
      if (n >= keep.size() || !keep[n]) g = -1;
      if (g < 0) continue;
      auto it = std::find(renumber.begin(), renumber.end(), g);
      if (it == renumber.end()) it = renumber.insert(renumber.end(), g);
      g = static_cast<int>(it - renumber.begin());
    }
    if (renumber.size() < 2) return std::nullopt;
    return f;
  }
  if (!f.from.empty() || !f.to.empty()) {
    if (!keep_ids(f.from, keep) || !keep_ids(f.to, keep)) return std::nullopt;
  }
  if (!f.nodes.empty() && !keep_ids(f.nodes, keep)) return std::nullopt;
  return f;
}

Result<ScenarioWriter> ScenarioWriter::make(const std::string& text, const std::string& path) {
  ScenarioWriter w;
  auto sc = sim::parse_scenario(text, path);
  if (!sc) return sc.error();
  w.base_ = std::move(*sc);
  YAML::Node root = YAML::Load(text);
  YAML::Node kept(YAML::NodeType::Map);
  for (const auto& kv : root)
    if (!replaced(kv.first.Scalar())) kept[kv.first.Scalar()] = kv.second;
  YAML::Emitter e;
  e << kept;
  w.base_yaml_ = std::string(e.c_str()) + "\n";
  if (auto nodes = root["nodes"]; nodes && nodes.IsSequence()) {
    w.nodes_listed_ = !root["generate"];
    for (const auto& n : nodes) {
      YAML::Emitter ne;
      ne.SetMapFormat(YAML::Flow);
      ne.SetSeqFormat(YAML::Flow);
      ne << n;
      w.node_yaml_.push_back(ne.c_str());
    }
  }
  return w;
}

std::string ScenarioWriter::render(const Schedule& s, std::uint64_t seed, const std::string& name,
                                   const std::vector<std::string>& properties,
                                   const std::string& header) const {
  std::string out;
  std::size_t from = 0;
  while (!header.empty() && from <= header.size()) {
    const auto nl = header.find('\n', from);
    const auto line = header.substr(from, nl == std::string::npos ? std::string::npos : nl - from);
    out += line.empty() ? "#\n" : "# " + line + "\n";
    if (nl == std::string::npos) break;
    from = nl + 1;
  }
  out += base_yaml_;
  out +=
      fmt::format("name: {}\nseed: {}\nduration: {}\n", name, seed, duration_yaml(s.duration_ns));
  std::vector<bool> keep(base_.nodes.size(), !nodes_listed_);
  std::vector<std::uint32_t> new_index(base_.nodes.size(), 0);
  std::vector<std::string> names;
  if (nodes_listed_) {
    out += "nodes:\n";
    for (auto n : s.nodes) {
      if (n >= node_yaml_.size()) continue;
      keep[n] = true;
      out += "  - " + node_yaml_[n] + "\n";
    }
  }
  for (std::uint32_t n = 0; n < base_.nodes.size(); ++n) {
    if (!keep[n]) continue;
    new_index[n] = static_cast<std::uint32_t>(names.size());
    names.push_back(base_.nodes[n].name);
  }
  if (!properties.empty()) {
    out += "properties:\n";
    for (const auto& p : properties)
      if (p.rfind("sql:", 0) == 0)
        out += "  - {sql: " + quoted(p.substr(std::min(p.find_first_not_of(' ', 4), p.size()))) +
               "}\n";
      else
        out += "  - " + quoted(p) + "\n";
  }
  std::string faults;
  for (const auto& f : s.faults) {
    auto r = restrict_fault(f, keep);
    if (!r) continue;
    // Renumber the node indices to the kept nodes' positions.
    if (!r->group_of.empty()) {
      std::vector<int> g;
      for (std::uint32_t n = 0; n < r->group_of.size(); ++n)
        if (keep[n]) g.push_back(r->group_of[n]);
      r->group_of = std::move(g);
    }
    for (auto* ids : {&r->from, &r->to, &r->nodes})
      for (auto& id : *ids)
        id = new_index[id];
    // Whole seconds read as seconds ("960s", not "960000000000ns"); the same nanoseconds.
    static const std::regex whole_seconds(R"(\b([0-9]+)000000000ns\b)");
    faults += "  - " + std::regex_replace(r->to_yaml(names), whole_seconds, "$1s") + "\n";
  }
  if (!faults.empty()) out += "faults:\n" + faults;
  return out;
}

Result<std::vector<sim::Fault>> faults_of_run(const ScenarioWriter& writer, const std::string& db,
                                              std::int64_t run_id) {
  auto opened = sim::open_results_db_for_reading(db);
  if (!opened) return opened.error();
  auto q = opened->prepare("SELECT fault_id, spec FROM faults WHERE run_id = ?1 ORDER BY fault_id");
  if (!q) return Error{"results DB '" + db + "': " + q.error().message};
  q->bind(1, run_id);
  std::string specs;
  while (q->next()) {
    const std::string spec = q->text(1);
    if (spec.empty())
      return Error{
          fmt::format("results DB '{}': fault {} has no replayable spec", db, q->int64(0))};
    specs += "  - " + spec + "\n";
  }
  if (specs.empty()) return std::vector<sim::Fault>{};
  Schedule all;
  for (std::uint32_t n = 0; n < writer.base().nodes.size(); ++n)
    all.nodes.push_back(n);
  all.duration_ns = writer.base().duration_ns;
  const std::string text = writer.render(all, 1, "replay", {}) + "faults:\n" + specs;
  auto sc = sim::parse_scenario(text, db + " (fault specs)");
  if (!sc) return sc.error();
  return sc->faults;
}

}  // namespace ts::hunt
