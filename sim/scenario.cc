#include "sim/scenario.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace ts::sim {
namespace {

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Loader state: the file name for messages and the first error met.
class Loader {
 public:
  explicit Loader(const std::string& path) : path_(path) {}

  [[nodiscard]] Error at(const YAML::Mark& m, const std::string& msg) const {
    return Error{path_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) +
                 ": " + msg};
  }

  // Checks that `map` is a mapping whose keys are all in `allowed`, with no duplicates.
  Result<bool> keys(const YAML::Node& map, const std::string& what,
                    std::initializer_list<std::string_view> allowed) const {
    if (!map.IsMap()) return at(map.Mark(), what + " must be a mapping");
    std::set<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) return at(kv.first.Mark(), what + ": keys must be strings");
      const auto key = kv.first.Scalar();
      bool ok = false;
      for (auto a : allowed) ok = ok || a == key;
      if (!ok) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return at(kv.first.Mark(),
                  "unknown key '" + key + "' in " + what + " (expected one of: " + list + ")");
      }
      if (!seen.insert(key).second) return at(kv.first.Mark(), "duplicate key '" + key + "' in " + what);
    }
    return true;
  }

  Result<std::string> string(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) return at(n.Mark(), "'" + key + "' must be a string");
    return n.Scalar();
  }

  Result<Duration> duration(const YAML::Node& n, const std::string& key, bool allow_zero) const {
    if (!n.IsScalar()) return at(n.Mark(), "'" + key + "' must be a duration such as 90s or 1h");
    if (allow_zero && (n.Scalar() == "0" || n.Scalar() == "0s")) return Duration{0};
    auto d = parse_duration(n.Scalar());
    if (!d) return at(n.Mark(), "'" + key + "': " + d.error().message);
    return *d;
  }

  Result<std::uint64_t> u64(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) return at(n.Mark(), "'" + key + "' must be a non-negative integer");
    const std::string& s = n.Scalar();
    if (s.empty() || s.size() > 20) return at(n.Mark(), "'" + key + "' must be a non-negative integer");
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return at(n.Mark(), "'" + key + "' must be a non-negative integer");
      const std::uint64_t next = v * 10 + static_cast<std::uint64_t>(c - '0');
      if (next / 10 != v) return at(n.Mark(), "'" + key + "' is out of range");
      v = next;
    }
    return v;
  }

  Result<LatencyModel> latency(const YAML::Node& n, const std::string& what,
                               std::initializer_list<std::string_view> extra_keys) const {
    if (!n.IsMap()) return at(n.Mark(), what + " must be a mapping");
    auto model_node = n["model"];
    if (!model_node) return at(n.Mark(), what + ": missing key 'model' (fixed, uniform or normal)");
    auto model = string(model_node, "model");
    if (!model) return model.error();
    auto check = [&](std::initializer_list<std::string_view> model_keys) -> Result<bool> {
      std::vector<std::string_view> all(model_keys);
      all.insert(all.end(), extra_keys.begin(), extra_keys.end());
      // initializer_list cannot be built at run time; check by hand
      if (!n.IsMap()) return at(n.Mark(), what + " must be a mapping");
      std::set<std::string> seen;
      for (const auto& kv : n) {
        const auto key = kv.first.Scalar();
        bool ok = false;
        for (auto a : all) ok = ok || a == key;
        if (!ok) {
          std::string list;
          for (auto a : all) list += (list.empty() ? "" : ", ") + std::string(a);
          return at(kv.first.Mark(), "unknown key '" + key + "' in " + what + " for model '" +
                                         *model + "' (expected one of: " + list + ")");
        }
        if (!seen.insert(key).second) return at(kv.first.Mark(), "duplicate key '" + key + "' in " + what);
      }
      return true;
    };
    auto need = [&](const char* key) -> Result<Duration> {
      auto v = n[key];
      if (!v) return at(n.Mark(), what + ": model '" + *model + "' needs key '" + key + "'");
      return duration(v, key, /*allow_zero=*/true);
    };
    if (*model == "fixed") {
      if (auto r = check({"model", "value"}); !r) return r.error();
      auto v = need("value");
      if (!v) return v.error();
      return LatencyModel::fixed(*v);
    }
    if (*model == "uniform") {
      if (auto r = check({"model", "min", "max"}); !r) return r.error();
      auto lo = need("min");
      if (!lo) return lo.error();
      auto hi = need("max");
      if (!hi) return hi.error();
      if (*hi < *lo) return at(n["max"].Mark(), what + ": 'max' must be >= 'min'");
      return LatencyModel::uniform(*lo, *hi);
    }
    if (*model == "normal") {
      if (auto r = check({"model", "mean", "stddev", "min"}); !r) return r.error();
      auto mean = need("mean");
      if (!mean) return mean.error();
      auto sd = need("stddev");
      if (!sd) return sd.error();
      Duration floor = 0;
      if (n["min"]) {
        auto f = duration(n["min"], "min", true);
        if (!f) return f.error();
        floor = *f;
      }
      return LatencyModel::normal(*mean, *sd, floor);
    }
    return at(model_node.Mark(), what + ": unknown latency model '" + *model +
                                     "' (expected fixed, uniform or normal)");
  }

  static bool valid_ipv4(const std::string& s) {
    int parts = 0;
    std::size_t i = 0;
    while (i <= s.size()) {
      std::size_t j = i;
      int v = 0;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - i < 3) v = v * 10 + (s[j++] - '0');
      if (j == i || v > 255 || (j - i > 1 && s[i] == '0')) return false;
      ++parts;
      if (j == s.size()) break;
      if (s[j] != '.') return false;
      i = j + 1;
    }
    return parts == 4;
  }

  const std::string& path_;
};

}  // namespace

int Scenario::node_index(std::string_view n) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == n) return static_cast<int>(i);
  return -1;
}

const LatencyModel& Scenario::latency(std::size_t from, std::size_t to) const {
  const auto& fa = nodes[from].name;
  const auto& tb = nodes[to].name;
  // later rules override earlier ones; one-way rules override symmetric ones
  const LatencyModel* best = nullptr;
  bool best_one_way = false;
  for (const auto& r : link_latency) {
    const bool fwd = r.a == fa && r.b == tb;
    const bool rev = !r.one_way && r.a == tb && r.b == fa;
    if (!fwd && !rev) continue;
    if (best_one_way && !r.one_way) continue;
    best = &r.model;
    best_one_way = r.one_way;
  }
  if (best) return *best;
  const auto& ra = nodes[from].region;
  const auto& rb = nodes[to].region;
  if (!ra.empty() && !rb.empty()) {
    for (auto it = region_latency.rbegin(); it != region_latency.rend(); ++it)
      if ((it->a == ra && it->b == rb) || (it->a == rb && it->b == ra)) return it->model;
  }
  return default_latency;
}

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return Error{"empty duration"};
  __int128 total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9')
      return Error{"bad duration '" + std::string(text) + "' (use e.g. 90s, 1h30m, 250ms)"};
    __int128 v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + (text[i++] - '0');
      if (v > (__int128)INT64_MAX) return Error{"duration '" + std::string(text) + "' is too large"};
    }
    std::size_t j = i;
    while (j < text.size() && (text[j] < '0' || text[j] > '9')) ++j;
    const std::string_view unit = text.substr(i, j - i);
    Duration mult = 0;
    if (unit == "ns") mult = kNanosecond;
    else if (unit == "us") mult = kMicrosecond;
    else if (unit == "ms") mult = kMillisecond;
    else if (unit == "s") mult = kSecond;
    else if (unit == "m") mult = kMinute;
    else if (unit == "h") mult = kHour;
    else if (unit == "d") mult = 24 * kHour;
    else if (unit.empty())
      return Error{"duration '" + std::string(text) + "' needs a unit (ns, us, ms, s, m, h, d)"};
    else
      return Error{"unknown unit '" + std::string(unit) + "' in duration '" + std::string(text) +
                   "' (use ns, us, ms, s, m, h, d)"};
    total += v * mult;
    if (total > (__int128)(365LL * 24 * kHour * 100))
      return Error{"duration '" + std::string(text) + "' is too large (max 100 years)"};
    any = true;
    i = j;
  }
  if (!any || total <= 0) return Error{"duration '" + std::string(text) + "' must be positive"};
  return static_cast<Duration>(total);
}

std::string format_duration(Duration d) {
  char buf[64];
  if (d % kHour == 0) std::snprintf(buf, sizeof buf, "%lldh", (long long)(d / kHour));
  else if (d % kMinute == 0) std::snprintf(buf, sizeof buf, "%lldm", (long long)(d / kMinute));
  else if (d >= kSecond) std::snprintf(buf, sizeof buf, "%.3fs", (double)d / kSecond);
  else std::snprintf(buf, sizeof buf, "%.3fms", (double)d / kMillisecond);
  return buf;
}

Result<Scenario> load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open scenario file"};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_scenario(ss.str(), path);
}

Result<Scenario> parse_scenario(std::string_view text, const std::string& path) {
  Loader L(path);
  Scenario s;
  s.path = path;
  s.text_hash = fnv1a64(text);
  {
    auto slash = path.find_last_of('/');
    std::string stem = path.substr(slash == std::string::npos ? 0 : slash + 1);
    auto dot = stem.find_last_of('.');
    s.name = dot == std::string::npos ? stem : stem.substr(0, dot);
  }
  if (text.find('\0') != std::string_view::npos)
    return Error{path + ":1:1: not a text file (contains NUL bytes)"};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return L.at(e.mark, "invalid YAML: " + e.msg);
  }
  if (!root || root.IsNull()) return Error{path + ":1:1: empty scenario (expected a mapping with 'nodes')"};
  if (auto r = L.keys(root, "scenario",
                      {"name", "description", "seed", "duration", "epoch", "latency", "nodes"});
      !r)
    return r.error();
  try {
    if (auto n = root["name"]) {
      auto v = L.string(n, "name");
      if (!v) return v.error();
      s.name = *v;
    }
    if (auto n = root["description"]) {
      auto v = L.string(n, "description");
      if (!v) return v.error();
      s.description = *v;
    }
    if (auto n = root["seed"]) {
      auto v = L.u64(n, "seed");
      if (!v) return v.error();
      s.seed = *v;
    }
    if (auto n = root["duration"]) {
      auto v = L.duration(n, "duration", false);
      if (!v) return v.error();
      s.duration_ns = *v;
    }
    if (auto n = root["epoch"]) {
      auto v = L.u64(n, "epoch");
      if (!v) return v.error();
      if (*v > 4102444800ULL) return L.at(n.Mark(), "'epoch' must be unix seconds before 2100");
      s.epoch_unix_s = static_cast<std::int64_t>(*v);
    }
    auto nodes = root["nodes"];
    if (!nodes) return L.at(root.Mark(), "missing key 'nodes'");
    if (!nodes.IsSequence() || nodes.size() == 0)
      return L.at(nodes.Mark(), "'nodes' must be a non-empty list");
    std::set<std::string> names, ips;
    for (const auto& n : nodes) {
      if (auto r = L.keys(n, "node", {"name", "ip", "version", "start", "region"}); !r)
        return r.error();
      NodeSpec spec;
      if (!n["ip"]) return L.at(n.Mark(), "node: missing key 'ip'");
      auto ip = L.string(n["ip"], "ip");
      if (!ip) return ip.error();
      if (!Loader::valid_ipv4(*ip)) return L.at(n["ip"].Mark(), "'" + *ip + "' is not an IPv4 address");
      spec.ip = *ip;
      spec.name = spec.ip;
      if (n["name"]) {
        auto v = L.string(n["name"], "name");
        if (!v) return v.error();
        if (v->empty()) return L.at(n["name"].Mark(), "node name must not be empty");
        spec.name = *v;
      }
      if (!n["version"]) return L.at(n.Mark(), "node '" + spec.name + "': missing key 'version'");
      auto ver = L.string(n["version"], "version");
      if (!ver) return ver.error();
      spec.profile = node::find_profile(*ver);
      if (spec.profile == nullptr) {
        std::string list;
        for (const auto& p : node::all_profiles()) list += (list.empty() ? "" : ", ") + std::string(p.name);
        return L.at(n["version"].Mark(), "unknown version '" + *ver + "' (known: " + list + ")");
      }
      if (n["start"]) {
        auto v = L.duration(n["start"], "start", true);
        if (!v) return v.error();
        spec.start_ns = *v;
      }
      if (n["region"]) {
        auto v = L.string(n["region"], "region");
        if (!v) return v.error();
        spec.region = *v;
      }
      if (!ips.insert(spec.ip).second)
        return L.at(n["ip"].Mark(), "duplicate node ip '" + spec.ip + "'");
      if (!names.insert(spec.name).second)
        return L.at(n["name"] ? n["name"].Mark() : n.Mark(), "duplicate node name '" + spec.name + "'");
      s.nodes.push_back(std::move(spec));
    }
    if (auto lat = root["latency"]) {
      if (auto r = L.keys(lat, "latency", {"default", "regions", "links"}); !r) return r.error();
      if (auto d = lat["default"]) {
        auto m = L.latency(d, "latency.default", {});
        if (!m) return m.error();
        s.default_latency = *m;
      }
      if (auto regions = lat["regions"]) {
        if (!regions.IsSequence()) return L.at(regions.Mark(), "'latency.regions' must be a list");
        for (const auto& r : regions) {
          auto m = L.latency(r, "latency.regions entry", {"between"});
          if (!m) return m.error();
          auto b = r["between"];
          if (!b || !b.IsSequence() || b.size() != 2)
            return L.at(r.Mark(), "latency.regions entry needs 'between: [region, region]'");
          LatencyRule rule{b[0].Scalar(), b[1].Scalar(), false, *m};
          s.region_latency.push_back(std::move(rule));
        }
      }
      if (auto links = lat["links"]) {
        if (!links.IsSequence()) return L.at(links.Mark(), "'latency.links' must be a list");
        for (const auto& r : links) {
          auto m = L.latency(r, "latency.links entry", {"between", "from", "to"});
          if (!m) return m.error();
          LatencyRule rule;
          rule.model = *m;
          if (auto b = r["between"]) {
            if (r["from"] || r["to"])
              return L.at(r.Mark(), "latency.links entry: use either 'between' or 'from'/'to'");
            if (!b.IsSequence() || b.size() != 2)
              return L.at(b.Mark(), "'between' must be a list of two node names");
            rule.a = b[0].Scalar();
            rule.b = b[1].Scalar();
            for (const auto& x : {b[0], b[1]})
              if (s.node_index(x.Scalar()) < 0)
                return L.at(x.Mark(), "unknown node '" + x.Scalar() + "'");
          } else if (r["from"] && r["to"]) {
            rule.a = r["from"].Scalar();
            rule.b = r["to"].Scalar();
            rule.one_way = true;
            for (const auto& x : {r["from"], r["to"]})
              if (s.node_index(x.Scalar()) < 0)
                return L.at(x.Mark(), "unknown node '" + x.Scalar() + "'");
          } else {
            return L.at(r.Mark(), "latency.links entry needs 'between: [a, b]' or 'from:'+'to:'");
          }
          s.link_latency.push_back(std::move(rule));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return L.at(e.mark, e.msg);
  }
  return s;
}

}  // namespace ts::sim
