#include "scenario/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/quote.h"
#include "scenario/scenario_versions.h"

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
  const std::string& path() const { return path_; }

  [[nodiscard]] Error at(const YAML::Mark& m, const std::string& msg) const {
    return Error{path_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) +
                 ": " + escape_control(msg)};
  }

  // An empty value (`seed:`) is a null node whose mark is the next token, often on the next
  // line: report it at its key. No key takes a null value.
  Result<bool> has_value(const YAML::Node& key, const YAML::Node& value) const {
    if (!value.IsNull()) return true;
    return at(key.Mark(), (key.IsScalar() ? quote(key.Scalar()) : "a key") + " has no value");
  }
  Result<bool> all_have_values(const YAML::Node& map) const {
    if (!map.IsMap()) return true;
    for (const auto& kv : map)
      if (auto r = has_value(kv.first, kv.second); !r) return r;
    return true;
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
      for (auto a : allowed)
        ok = ok || a == key;
      if (!ok) {
        std::string list;
        for (auto a : allowed)
          list += (list.empty() ? "" : ", ") + std::string(a);
        return at(kv.first.Mark(),
                  "unknown key " + quote(key) + " in " + what + " (expected one of: " + list + ")");
      }
      if (!seen.insert(key).second)
        return at(kv.first.Mark(), "duplicate key " + quote(key) + " in " + what);
    }
    return all_have_values(map);  // after the keys: an unknown key is the first thing to fix
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

  Result<std::uint64_t> u64(const YAML::Node& n, const std::string& key,
                            std::uint64_t max = UINT64_MAX) const {
    if (!n.IsScalar()) return at(n.Mark(), "'" + key + "' must be a non-negative integer");
    auto v = parse_uint(n.Scalar(), max);
    if (!v) return at(n.Mark(), "'" + key + "' " + v.error().message);
    return *v;
  }

  Result<LatencyModel> latency(const YAML::Node& n, const std::string& what,
                               std::initializer_list<std::string_view> extra_keys) const {
    if (!n.IsMap()) return at(n.Mark(), what + " must be a mapping");
    if (auto r = all_have_values(n); !r) return r.error();
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
        for (auto a : all)
          ok = ok || a == key;
        if (!ok) {
          std::string list;
          for (auto a : all)
            list += (list.empty() ? "" : ", ") + std::string(a);
          return at(kv.first.Mark(), "unknown key " + quote(key) + " in " + what + " for model " +
                                         quote(*model) + " (expected one of: " + list + ")");
        }
        if (!seen.insert(key).second)
          return at(kv.first.Mark(), "duplicate key " + quote(key) + " in " + what);
      }
      return true;
    };
    auto need = [&](const char* key) -> Result<Duration> {
      auto v = n[key];
      if (!v) return at(n.Mark(), what + ": model " + quote(*model) + " needs key '" + key + "'");
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
    return at(model_node.Mark(), what + ": unknown latency model " + quote(*model) +
                                     " (expected fixed, uniform or normal)");
  }

  static bool valid_ipv4(const std::string& s) {
    int parts = 0;
    std::size_t i = 0;
    while (i <= s.size()) {
      std::size_t j = i;
      int v = 0;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - i < 3)
        v = v * 10 + (s[j++] - '0');
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

// "0.25", "25%", "1/4" -> Ratio in [0, 1].
Result<Ratio> parse_ratio(const Loader& L, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar())
    return L.at(n.Mark(), "'" + key + "' must be a fraction such as 0.1, 10% or 1/10");
  std::string t = n.Scalar();
  std::uint64_t num = 0, den = 1;
  auto bad = [&] {
    return L.at(n.Mark(), "'" + key + "' must be a fraction in [0, 1] such as 0.1, 10% or 1/10");
  };
  if (t.empty()) return bad();
  std::uint64_t scale = 1;
  if (t.back() == '%') {
    t.pop_back();
    scale = 100;
  }
  const auto slash = t.find('/');
  auto digits = [](const std::string& d) {
    return !d.empty() && d.size() < 16 && d.find_first_not_of("0123456789") == std::string::npos;
  };
  if (slash != std::string::npos) {
    if (scale != 1 || !digits(t.substr(0, slash)) || !digits(t.substr(slash + 1))) return bad();
    num = std::stoull(t.substr(0, slash));
    den = std::stoull(t.substr(slash + 1));
  } else {
    const auto dot = t.find('.');
    const std::string ip = t.substr(0, dot);
    const std::string fp = dot == std::string::npos ? "" : t.substr(dot + 1);
    if (!digits(ip) || (dot != std::string::npos && !digits(fp)) || fp.size() > 9) return bad();
    num = std::stoull(ip);
    for (char c : fp)
      num = num * 10 + static_cast<std::uint64_t>(c - '0'), den *= 10;
    den *= scale;
  }
  if (den == 0 || num > den) return bad();
  return Ratio{num, den};
}

Result<Duration> signed_duration(const Loader& L, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return L.at(n.Mark(), "'" + key + "' must be a duration such as 5s or -2s");
  std::string t = n.Scalar();
  const bool neg = !t.empty() && t[0] == '-';
  if (neg) t = t.substr(1);
  if (t == "0" || t == "0s") return Duration{0};
  auto d = parse_duration(t);
  if (!d) return L.at(n.Mark(), "'" + key + "': " + d.error().message);
  return neg ? -*d : *d;
}

// A list of node names (or one name) -> indices.
Result<std::vector<std::uint32_t>> node_list(const Loader& L, const YAML::Node& n,
                                             const Scenario& s, const std::string& key) {
  std::vector<std::uint32_t> out;
  auto one = [&](const YAML::Node& x) -> Result<bool> {
    if (!x.IsScalar()) return L.at(x.Mark(), "'" + key + "' must list node names");
    const int i = s.node_index(x.Scalar());
    if (i < 0) return L.at(x.Mark(), "unknown node " + quote(x.Scalar()) + " in '" + key + "'");
    if (std::find(out.begin(), out.end(), static_cast<std::uint32_t>(i)) != out.end())
      return L.at(x.Mark(), "node " + quote(x.Scalar()) + " listed twice in '" + key + "'");
    out.push_back(static_cast<std::uint32_t>(i));
    return true;
  };
  if (n.IsSequence()) {
    if (n.size() == 0) return L.at(n.Mark(), "'" + key + "' must not be empty");
    for (const auto& x : n)
      if (auto r = one(x); !r) return r.error();
  } else if (auto r = one(n); !r) {
    return r.error();
  }
  return out;
}

// A fault mapping as the kinds' parsers see it (faults/fault_kind.h).
class FaultReader final : public ParamReader {
 public:
  FaultReader(const Loader& L, const YAML::Node& f, const Scenario& s, std::string what)
      : L_(L), f_(f), s_(s), what_(std::move(what)) {}

  bool has(std::string_view key) const override { return bool(node(key)); }
  Error error_at(std::string_view key, const std::string& msg) const override {
    return L_.at(key.empty() ? f_.Mark() : node(key).Mark(), msg);
  }
  const std::string& what() const override { return what_; }
  Result<Duration> duration(std::string_view key, bool allow_zero) const override {
    auto v = need(key);
    if (!v) return v.error();
    return L_.duration(*v, std::string(key), allow_zero);
  }
  Result<Duration> signed_duration(std::string_view key) const override {
    auto v = need(key);
    if (!v) return v.error();
    return sim::signed_duration(L_, *v, std::string(key));
  }
  Result<Ratio> ratio(std::string_view key) const override {
    auto v = need(key);
    if (!v) return v.error();
    return parse_ratio(L_, *v, std::string(key));
  }
  Result<std::uint64_t> u64(std::string_view key) const override {
    auto v = need(key);
    if (!v) return v.error();
    return L_.u64(*v, std::string(key));
  }
  Result<std::int64_t> i64(std::string_view key) const override {
    auto v = need(key);
    if (!v) return v.error();
    try {
      return v->as<std::int64_t>();
    } catch (const YAML::Exception&) {
      return L_.at(v->Mark(), "'" + std::string(key) + "' must be an integer");
    }
  }
  Result<std::string> string(std::string_view key) const override {
    auto v = need(key);
    if (!v) return v.error();
    return L_.string(*v, std::string(key));
  }
  Result<LatencyModel> latency_model() const override {
    return L_.latency(f_, what_, {"kind", "at", "for", "until", "from", "to", "between"});
  }
  Result<const node::VersionProfile*> version(std::string_view key,
                                              const std::string& name) const override {
    const node::VersionProfile* p = s_.find_version(name);
    if (!p)
      return error_at(key, "unknown version " + quote(name) + " (" +
                               known_versions(s_.user_profiles, name) + ")");
    return p;
  }

 private:
  YAML::Node node(std::string_view key) const { return f_[std::string(key)]; }
  Result<YAML::Node> need(std::string_view key) const {
    auto v = node(key);
    if (!v) return L_.at(f_.Mark(), what_ + ": missing key '" + std::string(key) + "'");
    return v;
  }

  const Loader& L_;
  const YAML::Node& f_;
  const Scenario& s_;
  std::string what_;
};

// The fault's kind: `kind:` (or upgrade, for the `upgrades:` list), with its source.
Result<bool> parse_fault_kind(const Loader& L, const YAML::Node& f, bool upgrade_list,
                              Fault& fault) {
  if (upgrade_list) {
    fault.kind = find_fault_kind("upgrade");
    fault.source = "upgrade";
    return L.keys(f, "upgrade", {"at", "nodes", "node", "to", "restart_delay"});
  }
  if (!f.IsMap()) return L.at(f.Mark(), "a fault must be a mapping");
  if (auto r = L.all_have_values(f); !r) return r;
  auto k = f["kind"];
  if (!k) return L.at(f.Mark(), "fault: missing key 'kind'");
  if (!k.IsScalar() || !fault_kind_from_name(k.Scalar(), fault.kind))
    return L.at(k.Mark(), "unknown fault kind " + quote(k.IsScalar() ? k.Scalar() : "?") +
                              " (known: " + fault_kind_list() + ")");
  if (fault.kind->name == "upgrade") fault.source = "upgrade";
  return true;
}

// The keys a fault of kind `k` may have: the common ones, its targets', its own.
Result<bool> check_fault_keys(const Loader& L, const YAML::Node& f, FaultKind k,
                              const std::string& what) {
  std::vector<std::string_view> keys = {"kind", "at"};
  if (!k->one_shot) keys.insert(keys.end(), {"for", "until"});
  if (k->targets != Targets::kNodes) keys.insert(keys.end(), {"from", "to", "between"});
  if (k->targets == Targets::kLinksOrGroups) keys.push_back("groups");
  if (k->targets == Targets::kNodes) keys.insert(keys.end(), {"nodes", "node"});
  keys.insert(keys.end(), k->params.begin(), k->params.end());
  std::set<std::string> seen;
  for (const auto& kv : f) {
    const auto key = kv.first.Scalar();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string list;
      for (auto a : keys)
        list += (list.empty() ? "" : ", ") + std::string(a);
      return L.at(kv.first.Mark(),
                  "unknown key " + quote(key) + " in " + what + " (expected one of: " + list + ")");
    }
    if (!seen.insert(key).second)
      return L.at(kv.first.Mark(), "duplicate key " + quote(key) + " in " + what);
  }
  return true;
}

// `at`, and `for` or `until` (one-shots end where they start; else the end of the run).
Result<bool> parse_fault_times(const Loader& L, const YAML::Node& f, const std::string& what,
                               Fault& fault) {
  if (!f["at"]) return L.at(f.Mark(), what + ": missing key 'at'");
  if (f["at"].IsScalar() && (f["at"].Scalar() == "0" || f["at"].Scalar() == "0s")) {
    fault.start_ns = 0;
  } else {
    auto at = L.duration(f["at"], "at", true);
    if (!at) return at.error();
    fault.start_ns = *at;
  }
  fault.end_ns = is_one_shot(fault.kind) ? fault.start_ns : kNever;
  if (f["for"] && f["until"])
    return L.at(f["until"].Mark(), what + ": use either 'for' or 'until'");
  if (f["for"]) {
    auto d = L.duration(f["for"], "for", false);
    if (!d) return d.error();
    fault.end_ns = fault.start_ns + *d;
  }
  if (f["until"]) {
    auto d = L.duration(f["until"], "until", false);
    if (!d) return d.error();
    if (*d <= fault.start_ns) return L.at(f["until"].Mark(), what + ": 'until' must be after 'at'");
    fault.end_ns = *d;
  }
  return true;
}

// `groups: [[a, b], [c]]`: each node in at most one group.
Result<bool> parse_fault_groups(const Loader& L, const YAML::Node& g, const Scenario& s,
                                Fault& fault) {
  if (!g.IsSequence() || g.size() < 2)
    return L.at(g.Mark(), "'groups' must be a list of at least two lists of node names");
  fault.group_of.assign(s.nodes.size(), -1);
  int gi = 0;
  for (const auto& grp : g) {
    auto members = node_list(L, grp, s, "groups");
    if (!members) return members.error();
    for (auto m : *members) {
      if (fault.group_of[m] >= 0)
        return L.at(grp.Mark(), "node " + quote(s.nodes[m].name) + " is in two groups");
      fault.group_of[m] = gi;
    }
    ++gi;
  }
  return true;
}

// A link fault's directions: `groups`, `from`/`to` (one way), `between`, or none (all).
Result<bool> parse_link_targets(const Loader& L, const YAML::Node& f, const Scenario& s,
                                const std::string& what, Fault& fault) {
  if (auto g = f["groups"]) {
    if (f["from"] || f["to"] || f["between"])
      return L.at(g.Mark(), what + ": use either 'groups', 'from'/'to' or 'between'");
    return parse_fault_groups(L, g, s, fault);
  }
  if (f["from"] || f["to"]) {
    if (!f["from"] || !f["to"]) return L.at(f.Mark(), what + ": 'from' and 'to' go together");
    if (f["between"])
      return L.at(f["between"].Mark(), what + ": use either 'from'/'to' or 'between'");
    auto a = node_list(L, f["from"], s, "from");
    if (!a) return a.error();
    auto b = node_list(L, f["to"], s, "to");
    if (!b) return b.error();
    fault.from = *a;
    fault.to = *b;
    fault.one_way = true;
  } else if (auto bt = f["between"]) {
    if (!bt.IsSequence() || bt.size() != 2)
      return L.at(bt.Mark(), "'between' must be two node names or two lists of node names");
    auto a = node_list(L, bt[0], s, "between");
    if (!a) return a.error();
    auto b = node_list(L, bt[1], s, "between");
    if (!b) return b.error();
    fault.from = *a;
    fault.to = *b;
  }
  return true;
}

// A node fault's `nodes` (or `node`).
Result<bool> parse_node_targets(const Loader& L, const YAML::Node& f, const Scenario& s,
                                const std::string& what, Fault& fault) {
  if (f["nodes"] && f["node"])
    return L.at(f["node"].Mark(), what + ": use either 'node' or 'nodes'");
  auto n = f["nodes"] ? f["nodes"] : f["node"];
  if (!n) return L.at(f.Mark(), what + ": missing key 'nodes'");
  auto list = node_list(L, n, s, "nodes");
  if (!list) return list.error();
  fault.nodes = *list;
  return true;
}

// One `faults:` (or `upgrades:`) entry: the kind, the common keys and the targets here,
// the kind's own keys by the kind (faults/kinds/*.cc).
Result<bool> parse_one_fault(const Loader& L, const YAML::Node& f, Scenario& s, bool upgrade_list) {
  Fault fault;
  if (auto r = parse_fault_kind(L, f, upgrade_list, fault); !r) return r;
  const std::string what = "fault '" + std::string(fault_kind_name(fault.kind)) + "'";
  if (!upgrade_list)
    if (auto r = check_fault_keys(L, f, fault.kind, what); !r) return r;
  if (auto r = parse_fault_times(L, f, what, fault); !r) return r;
  auto targets = is_link_fault(fault.kind) ? parse_link_targets(L, f, s, what, fault)
                                           : parse_node_targets(L, f, s, what, fault);
  if (!targets) return targets;
  if (fault.kind->parse) {
    const FaultReader reader(L, f, s, what);
    if (auto r = fault.kind->parse(reader, fault); !r) return r;
  }
  fault.id = static_cast<std::uint32_t>(s.faults.size() + 1);
  s.faults.push_back(std::move(fault));
  return true;
}

// "" when the shares add up to exactly 1, else their sum as text: "75%" (a whole
// percentage), "7/6", or "a sum too fine to compute" when the reduced denominator would not
// fit in 64 bits. Exact: a running fraction in 128 bits, reduced at each step.
template <typename Shares>
std::string share_sum_text(const Shares& shares) {
  using I = __int128;
  constexpr I kMax = I{1} << 64;
  auto gcd = [](I a, I b) {
    while (b != 0) {
      const I t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  I num = 0, den = 1;  // den < 2^64, num <= shares * den: no product below overflows
  for (const auto& sh : shares) {
    const I g = gcd(den, static_cast<I>(sh.share.den));
    num = num * (static_cast<I>(sh.share.den) / g) + static_cast<I>(sh.share.num) * (den / g);
    den = den * (static_cast<I>(sh.share.den) / g);
    const I r = gcd(num, den);
    num /= r, den /= r;
    if (den >= kMax || num >= kMax) return "a sum too fine to compute";
  }
  if (num == den) return "";
  auto text = [](I v) { return std::to_string(static_cast<std::uint64_t>(v)); };
  return num * 100 % den == 0 ? text(num * 100 / den) + "%" : text(num) + "/" + text(den);
}

// `generate:` -> nodes n0..n{count-1} with IPs 10.a.b.c (index in base 256, from 1) and
// versions spread by share over the index (deterministic, no seed involved, so faults can
// name generated nodes).
// A `whitelist:` value: a list of distinct dotted-quad IPv4 addresses (may be empty).
Result<std::vector<std::string>> parse_whitelist(const Loader& L, const YAML::Node& n) {
  if (!n.IsSequence()) return L.at(n.Mark(), "'whitelist' must be a list of IPv4 addresses");
  std::vector<std::string> ips;
  for (const auto& e : n) {
    auto ip = L.string(e, "whitelist");
    if (!ip) return ip.error();
    if (!Loader::valid_ipv4(*ip))
      return L.at(e.Mark(), "whitelist: " + quote(*ip) + " is not an IPv4 address");
    if (std::find(ips.begin(), ips.end(), *ip) != ips.end())
      return L.at(e.Mark(), "whitelist: " + quote(*ip) + " is listed twice");
    ips.push_back(*ip);
  }
  return ips;
}

Result<bool> generate_nodes(const Loader& L, const YAML::Node& g, Scenario& s) {
  if (auto r = L.keys(g, "generate", {"count", "versions", "region", "start_spread"}); !r) return r;
  auto count = g["count"];
  if (!count) return L.at(g.Mark(), "generate: missing key 'count'");
  auto n = L.u64(count, "count");
  if (!n) return n.error();
  if (*n < 2 || *n > 10'000'000) return L.at(count.Mark(), "'count' must be 2 to 10000000");
  struct Share {
    const node::VersionProfile* profile;
    Ratio share;
  };
  std::vector<Share> shares;
  auto versions = g["versions"];
  if (!versions)
    return L.at(g.Mark(), "generate: missing key 'versions' (e.g. {post-fix: 50%, pre-fix: 50%})");
  if (!versions.IsMap())
    return L.at(versions.Mark(), "'versions' must map version names to shares");
  if (versions.size() == 0)
    return L.at(versions.Mark(), "'versions' must name at least one version");
  for (const auto& kv : versions) {
    const auto* p = s.find_version(kv.first.Scalar());
    if (!p) return L.at(kv.first.Mark(), "unknown version '" + kv.first.Scalar() + "'");
    auto r = parse_ratio(L, kv.second, kv.first.Scalar());
    if (!r) return r.error();
    if (r->num == 0)
      return L.at(kv.second.Mark(),
                  "the share of version '" + kv.first.Scalar() + "' must be more than 0");
    shares.push_back({p, *r});
  }
  if (auto sum = share_sum_text(shares); !sum.empty())
    return L.at(versions.Mark(), "version shares add up to " + sum + ", not 100%");
  Duration spread = 0;
  if (g["start_spread"]) {
    auto d = L.duration(g["start_spread"], "start_spread", true);
    if (!d) return d.error();
    spread = *d;
  }
  std::string region;
  if (g["region"]) {
    auto r = L.string(g["region"], "region");
    if (!r) return r.error();
    region = *r;
  }
  // Cumulative shares as exact fractions of the count: node i gets the first version whose
  // cumulative share covers (i + 0.5) / count, interleaved so every prefix is mixed.
  const std::uint64_t total = *n;
  std::vector<std::uint64_t> quota;
  std::uint64_t assigned = 0;
  for (const auto& sh : shares) {
    const std::uint64_t q =
        static_cast<std::uint64_t>(static_cast<__int128>(total) * sh.share.num / sh.share.den);
    quota.push_back(q);
    assigned += q;
  }
  TS_ASSERT(assigned <= total);      // the shares add up to exactly 1 (checked above)
  quota.back() += total - assigned;  // rounding remainder to the last version
  std::vector<std::uint64_t> used(shares.size(), 0);
  for (std::uint64_t i = 0; i < total; ++i) {
    // Largest remaining deficit first (Bresenham-style interleaving), ties by order.
    std::size_t best = 0;
    __int128 best_deficit = -1;
    for (std::size_t v = 0; v < shares.size(); ++v) {
      const __int128 deficit =
          static_cast<__int128>(quota[v]) * (i + 1) - static_cast<__int128>(used[v]) * total;
      if (used[v] < quota[v] && deficit > best_deficit) best = v, best_deficit = deficit;
    }
    ++used[best];
    NodeSpec spec;
    const std::uint64_t a = i + 1;
    spec.ip = "10." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) + "." +
              std::to_string(a & 255);
    spec.name = "n" + std::to_string(i);
    spec.profile = shares[best].profile;
    spec.region = region;
    spec.start_ns =
        total > 1 ? static_cast<SimTime>(static_cast<__int128>(spread) * i / (total - 1)) : 0;
    s.nodes.push_back(std::move(spec));
  }
  return true;
}

// A region named by a `latency.regions` rule must be some node's region: a typo would
// otherwise silently leave the default latency in place.
Result<bool> known_region(const Loader& L, const YAML::Node& x,
                          const std::set<std::string>& known) {
  if (x.IsScalar() && known.count(x.Scalar())) return true;
  std::string list;
  for (const auto& r : known)
    list += (list.empty() ? "" : ", ") + quote(r);
  return L.at(x.Mark(), "unknown region " + quote(x.IsScalar() ? x.Scalar() : "?") +
                            " in latency.regions (" +
                            (known.empty() ? "no node has a region" : "known: " + list) + ")");
}

// The topology's links (link_bound) must not exceed kMaxLinks: checked before anything is
// built, at the `topology:` key (or the node list, for the default full mesh).
Result<bool> check_links(const Loader& L, const YAML::Node& root, const Scenario& s) {
  const std::uint64_t links = link_bound(s.topology, s.nodes.size());
  if (links <= kMaxLinks) return true;
  const bool mesh = s.topology.kind == TopologySpec::Kind::kFullMesh;
  auto where = root["topology"]   ? root["topology"]
               : root["generate"] ? root["generate"]
                                  : root["nodes"];
  return L.at(
      where.Mark(),
      std::string(mesh ? "a full mesh" : "random-k-out (k " + std::to_string(s.topology.k) + ")") +
          " of " + std::to_string(s.nodes.size()) + " nodes has " + (mesh ? "" : "up to ") +
          std::to_string(links) + " links (limit " + std::to_string(kMaxLinks) + ")" +
          (mesh ? ": use topology: {kind: random-k-out, k: 8}" : ": use a smaller k"));
}

Result<bool> parse_faults(const Loader& L, const YAML::Node& root, Scenario& s) {
  for (const char* list : {"faults", "upgrades"}) {
    auto n = root[list];
    if (!n) continue;
    if (!n.IsSequence()) return L.at(n.Mark(), std::string("'") + list + "' must be a list");
    for (const auto& f : n)
      if (auto r = parse_one_fault(L, f, s, std::string(list) == "upgrades"); !r) return r;
  }
  if (auto c = root["chaos"]) {
    if (auto r =
            L.keys(c, "chaos", {"rate", "kinds", "start", "end", "min_duration", "max_duration"});
        !r)
      return r;
    ChaosSpec& spec = s.chaos;
    spec.enabled = true;
    auto rate = c["rate"];
    if (!rate) return L.at(c.Mark(), "chaos: missing key 'rate' (faults per hour, e.g. 6/h)");
    {
      std::string t = rate.IsScalar() ? rate.Scalar() : "";
      if (t.size() > 2 && t.substr(t.size() - 2) == "/h") t = t.substr(0, t.size() - 2);
      auto digits =
          !t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoull(t) == 0)
        return L.at(rate.Mark(),
                    "chaos 'rate' must be a positive number of faults per hour, e.g. 6/h");
      spec.per_hour_num = std::stoull(t);
    }
    auto kinds = c["kinds"];
    if (!kinds || !kinds.IsSequence() || kinds.size() == 0)
      return L.at(c.Mark(), "chaos: 'kinds' must be a non-empty list of fault kinds");
    for (const auto& k : kinds) {
      FaultKind fk = nullptr;
      if (!k.IsScalar() || !fault_kind_from_name(k.Scalar(), fk))
        return L.at(k.Mark(), "unknown fault kind " + quote(k.IsScalar() ? k.Scalar() : "?"));
      if (!fk->chaos)
        return L.at(k.Mark(),
                    "chaos cannot draw " + quote(fk->name) + std::string(fk->no_chaos_hint));
      spec.kinds.push_back(fk);
    }
    for (auto [key, field] : {std::pair{"start", &spec.start_ns}, std::pair{"end", &spec.end_ns},
                              std::pair{"min_duration", &spec.min_duration_ns},
                              std::pair{"max_duration", &spec.max_duration_ns}}) {
      if (!c[key]) continue;
      auto d = L.duration(c[key], key, true);
      if (!d) return d.error();
      *field = *d;
    }
    if (spec.max_duration_ns < spec.min_duration_ns)
      return L.at(c.Mark(), "chaos: 'max_duration' must be >= 'min_duration'");
    if (c["end"] && spec.end_ns <= spec.start_ns)
      return L.at(c["end"].Mark(), "chaos: 'end' (" + format_duration(spec.end_ns) +
                                       ") must be after 'start' (" +
                                       format_duration(spec.start_ns) + ")");
    if (auto r = check_chaos_window(spec, s.duration_ns); !r)
      return L.at(c.Mark(), "chaos: " + r.error().message);
  }
  return true;
}

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

Result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    return Error{"must be a non-negative integer"};
  std::uint64_t v = 0;
  for (char c : text) {
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return Error{"must be at most " + std::to_string(max)};
    v = v * 10 + d;
  }
  return v;
}

Result<std::uint64_t> parse_seed(std::string_view text) {
  return parse_uint(text, kMaxSeed);
}

Result<bool> check_chaos_window(const ChaosSpec& chaos, Duration run_ns) {
  if (!chaos.enabled) return true;
  if (chaos.start_ns >= run_ns)
    return Error{"the window starts at " + format_duration(chaos.start_ns) +
                 ", not before the run ends (" + format_duration(run_ns) + ")"};
  const SimTime end = std::min(chaos.end_ns, run_ns);
  // faults expected = per_hour_num / per_hour_den * window / 1 h, compared in 128 bits
  const __int128 expected_x = static_cast<__int128>(chaos.per_hour_num) * (end - chaos.start_ns);
  const __int128 limit_x = static_cast<__int128>(kMaxChaosFaults) * chaos.per_hour_den * kHour;
  if (expected_x <= limit_x) return true;
  const auto expected =
      static_cast<std::uint64_t>(expected_x / (static_cast<__int128>(chaos.per_hour_den) * kHour));
  return Error{"rate " + std::to_string(chaos.per_hour_num) + "/h over " +
               format_duration(end - chaos.start_ns) + " would draw about " +
               std::to_string(expected) + " faults (limit " + std::to_string(kMaxChaosFaults) +
               ")"};
}

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return Error{"empty duration"};
  __int128 total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9')
      return Error{"bad duration " + quote(text) + " (use e.g. 90s, 1h30m, 250ms)"};
    __int128 v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + (text[i++] - '0');
      if (v > (__int128)INT64_MAX) return Error{"duration " + quote(text) + " is too large"};
    }
    std::size_t j = i;
    while (j < text.size() && (text[j] < '0' || text[j] > '9'))
      ++j;
    const std::string_view unit = text.substr(i, j - i);
    Duration mult = 0;
    if (unit == "ns")
      mult = kNanosecond;
    else if (unit == "us")
      mult = kMicrosecond;
    else if (unit == "ms")
      mult = kMillisecond;
    else if (unit == "s")
      mult = kSecond;
    else if (unit == "m")
      mult = kMinute;
    else if (unit == "h")
      mult = kHour;
    else if (unit == "d")
      mult = 24 * kHour;
    else if (unit.empty())
      return Error{"duration " + quote(text) + " needs a unit (ns, us, ms, s, m, h, d)"};
    else
      return Error{"unknown unit " + quote(unit) + " in duration " + quote(text) +
                   " (use ns, us, ms, s, m, h, d)"};
    total += v * mult;
    if (total > (__int128)(365LL * 24 * kHour * 100))
      return Error{"duration " + quote(text) + " is too large (max 100 years)"};
    any = true;
    i = j;
  }
  if (!any || total <= 0) return Error{"duration " + quote(text) + " must be positive"};
  return static_cast<Duration>(total);
}

std::string format_duration(Duration d) {
  char buf[64];
  if (d % kHour == 0)
    std::snprintf(buf, sizeof buf, "%lldh", (long long)(d / kHour));
  else if (d % kMinute == 0)
    std::snprintf(buf, sizeof buf, "%lldm", (long long)(d / kMinute));
  else if (d >= kSecond)
    std::snprintf(buf, sizeof buf, "%.3fs", (double)d / kSecond);
  else
    std::snprintf(buf, sizeof buf, "%.3fms", (double)d / kMillisecond);
  return buf;
}

// Rejects nesting no scenario needs before yaml-cpp recurses into it: flow collections
// ([ {) deeper than kMaxNesting, or block indentation beyond kMaxIndent columns. A cheap
// scan that skips comments and quoted strings.
Result<bool> check_nesting(std::string_view text, const std::string& path) {
  int depth = 0;
  std::size_t line = 1, col = 1, indent = 0;
  bool at_line_start = true;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      col = 1;
      indent = 0;
      at_line_start = true;
      if (quote == '\'') quote = 0;  // (multi-line quoted scalars are not used in scenarios)
      continue;
    }
    if (at_line_start && (c == ' ' || c == '-')) {
      if (++indent > kMaxIndent)
        return Error{path + ":" + std::to_string(line) + ":" + std::to_string(col) +
                     ": nesting too deep (indented more than " + std::to_string(kMaxIndent) +
                     " columns)"};
    } else {
      at_line_start = false;
    }
    if (quote) {
      if (c == '\\' && quote == '"') {
        ++i;
        ++col;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' &&
               (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n')) {
      while (i + 1 < text.size() && text[i + 1] != '\n')
        ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting)
        return Error{path + ":" + std::to_string(line) + ":" + std::to_string(col) +
                     ": nesting too deep (more than " + std::to_string(kMaxNesting) +
                     " levels of [ or {)"};
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    ++col;
  }
  return true;
}

Result<Scenario> load_scenario_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);  // follows symlinks; never opens (a FIFO would block)
  if (fs::is_directory(st)) return Error{path + ": is a directory, not a scenario file"};
  if (fs::exists(st) && !fs::is_regular_file(st))
    return Error{path + ": not a regular file (a scenario must be a YAML file)"};
  auto too_big = [&](const std::string& size) {
    return Error{path + ": scenario file is " + size + " bytes (limit " +
                 std::to_string(kMaxScenarioBytes) + ")"};
  };
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxScenarioBytes) return too_big(std::to_string(size));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open scenario file"};
  // Read at most one byte past the limit, whatever the size said (a file still growing).
  std::string text;
  char buf[1 << 16];
  while (in && text.size() <= kMaxScenarioBytes) {
    const std::size_t want = std::min<std::size_t>(sizeof buf, kMaxScenarioBytes + 1 - text.size());
    in.read(buf, static_cast<std::streamsize>(want));
    text.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return Error{path + ": cannot read scenario file"};
  if (text.size() > kMaxScenarioBytes)
    return too_big("more than " + std::to_string(kMaxScenarioBytes));
  return parse_scenario(text, path);
}

namespace {
// Why `name` cannot be a scenario's `name:`, or "" if it can. The name becomes part of file
// names (results/runs/<name>-seed<N>.db, its -charts/ directory), so it must be one plain
// path component: at most kMaxScenarioNameBytes, no '/', '\\', "..", leading '.' or control
// characters (NUL included).
std::string unsafe_name_reason(const std::string& name) {
  constexpr std::size_t kMaxScenarioNameBytes = 200;
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxScenarioNameBytes) return "is longer than 200 bytes";
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
  if (name.find_first_of("/\\") != std::string::npos || name.find("..") != std::string::npos ||
      name[0] == '.')
    return "must not contain '/', '\\' or '..' nor start with '.' (it names the results files)";
  return "";
}
}  // namespace

// `properties:`: a list of strings (`blocks_committed >= slots - 1`) or `{sql: QUERY}`
// mappings, kept as text with their position (the expression grammar is hunt/property.h's).
static Result<bool> parse_properties(const Loader& L, const YAML::Node& root, std::string_view text,
                                     Scenario& s) {
  auto list = root["properties"];
  if (!list) return true;
  if (!list.IsSequence()) return L.at(list.Mark(), "'properties' must be a list");
  // Where the scalar's text starts: past an opening quote.
  auto spec_at = [&](const YAML::Node& n, std::string prefix) {
    PropertySpec p;
    p.text = std::move(prefix) + n.Scalar();
    p.line = n.Mark().line + 1;
    p.column = n.Mark().column + 1;
    const auto pos = static_cast<std::size_t>(n.Mark().pos);
    if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) ++p.column;
    if (!prefix.empty()) p.column -= static_cast<int>(prefix.size());
    return p;
  };
  for (const auto& e : list) {
    if (e.IsScalar()) {
      s.properties.push_back(spec_at(e, ""));
    } else if (e.IsMap()) {
      if (auto r = L.keys(e, "property", {"sql"}); !r) return r;
      if (!e["sql"] || !e["sql"].IsScalar())
        return L.at(e.Mark(), "a property mapping must be {sql: QUERY}");
      s.properties.push_back(spec_at(e["sql"], "sql: "));
    } else {
      return L.at(e.Mark(),
                  "a property must be a string such as 'forked_heights == 0' or {sql: Q}");
    }
  }
  return true;
}

namespace {

// "topologies/six_nodes.yaml" -> "six_nodes".
std::string stem_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string stem = path.substr(slash == std::string::npos ? 0 : slash + 1);
  auto dot = stem.find_last_of('.');
  return dot == std::string::npos ? stem : stem.substr(0, dot);
}

// The file's one YAML document (null when empty).
Result<YAML::Node> load_document(const Loader& L, std::string_view text) {
  try {
    auto docs = YAML::LoadAll(std::string(text));
    // A scenario is one document: a second one (after `---`) would be silently ignored.
    // Empty documents (a trailing `---`, or only comments after it) carry nothing.
    for (std::size_t i = 1; i < docs.size(); ++i)
      if (!docs[i].IsNull())
        return L.at(docs[i].Mark(),
                    "a second YAML document (after '---'): a scenario file holds one document");
    if (!docs.empty()) return docs[0];
    return YAML::Node();
  } catch (const YAML::Exception& e) {
    return L.at(e.mark, "invalid YAML: " + e.msg);
  }
}

// name, description, seed, duration, epoch.
Result<bool> parse_header(const Loader& L, const YAML::Node& root, Scenario& s) {
  if (auto n = root["name"]) {
    auto v = L.string(n, "name");
    if (!v) return v.error();
    if (auto why = unsafe_name_reason(*v); !why.empty()) return L.at(n.Mark(), "'name' " + why);
    s.name = *v;
  }
  if (auto n = root["description"]) {
    auto v = L.string(n, "description");
    if (!v) return v.error();
    s.description = *v;
  }
  if (auto n = root["seed"]) {
    auto v = L.u64(n, "seed", kMaxSeed);
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
  return true;
}

// `topology:` (kind, k).
Result<bool> parse_topology(const Loader& L, const YAML::Node& t, TopologySpec& topology) {
  if (auto r = L.keys(t, "topology", {"kind", "k"}); !r) return r.error();
  auto kind = t["kind"];
  if (!kind || !kind.IsScalar())
    return L.at(t.Mark(), "topology: missing key 'kind' (full-mesh, random-k-out or line)");
  if (kind.Scalar() == "full-mesh") {
    topology.kind = TopologySpec::Kind::kFullMesh;
    if (t["k"]) return L.at(t["k"].Mark(), "topology 'full-mesh' takes no 'k'");
  } else if (kind.Scalar() == "line") {
    topology.kind = TopologySpec::Kind::kLine;
    if (t["k"]) return L.at(t["k"].Mark(), "topology 'line' takes no 'k'");
  } else if (kind.Scalar() == "random-k-out") {
    topology.kind = TopologySpec::Kind::kRandomKOut;
    if (t["k"]) {
      auto k = L.u64(t["k"], "k");
      if (!k) return k.error();
      if (*k < 1 || *k > 1000) return L.at(t["k"].Mark(), "'k' must be 1 to 1000");
      topology.k = static_cast<std::uint32_t>(*k);
    }
  } else {
    return L.at(kind.Mark(), "unknown topology kind " + quote(kind.Scalar()) +
                                 " (full-mesh, random-k-out or line)");
  }
  return true;
}

// `consensus:` (enabled, sample_interval, quorum_of, tx_rate); its presence enables it.
Result<bool> parse_consensus(const Loader& L, const YAML::Node& c, ConsensusSpec& consensus) {
  if (auto r = L.keys(c, "consensus", {"enabled", "sample_interval", "quorum_of", "tx_rate"}); !r)
    return r.error();
  if (auto tr = c["tx_rate"]) {
    std::string t = tr.IsScalar() ? tr.Scalar() : "";
    if (t.size() > 2 && t.substr(t.size() - 2) == "/h") t = t.substr(0, t.size() - 2);
    const bool digits =
        !t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos;
    if (!digits)
      return L.at(tr.Mark(), "'tx_rate' must be a number of transactions per hour, e.g. 60/h");
    consensus.tx_per_hour = std::stoull(t);
  }
  if (auto q = c["quorum_of"]) {
    if (!q.IsScalar() || (q.Scalar() != "registered" && q.Scalar() != "active"))
      return L.at(q.Mark(), "'quorum_of' must be registered or active");
    consensus.quorum_of_active = q.Scalar() == "active";
  }
  consensus.enabled = true;
  if (auto e = c["enabled"]) {
    if (!e.IsScalar() || (e.Scalar() != "true" && e.Scalar() != "false"))
      return L.at(e.Mark(), "'enabled' must be true or false");
    consensus.enabled = e.Scalar() == "true";
  }
  if (auto si = c["sample_interval"]) {
    auto d = L.duration(si, "sample_interval", /*allow_zero=*/true);
    if (!d) return d.error();
    consensus.sample_interval_ns = *d;
  }
  return true;
}

// One `nodes:` entry (versions must be parsed first: it names one).
Result<NodeSpec> parse_node(const Loader& L, const YAML::Node& n, const Scenario& s) {
  if (auto r = L.keys(n, "node", {"name", "ip", "version", "start", "region", "whitelist"}); !r)
    return r.error();
  NodeSpec spec;
  if (!n["ip"]) return L.at(n.Mark(), "node: missing key 'ip'");
  auto ip = L.string(n["ip"], "ip");
  if (!ip) return ip.error();
  if (!Loader::valid_ipv4(*ip)) return L.at(n["ip"].Mark(), quote(*ip) + " is not an IPv4 address");
  spec.ip = *ip;
  spec.name = spec.ip;
  if (n["name"]) {
    auto v = L.string(n["name"], "name");
    if (!v) return v.error();
    if (v->empty()) return L.at(n["name"].Mark(), "node name must not be empty");
    spec.name = *v;
  }
  if (!n["version"]) return L.at(n.Mark(), "node " + quote(spec.name) + ": missing key 'version'");
  auto ver = L.string(n["version"], "version");
  if (!ver) return ver.error();
  spec.profile = s.find_version(*ver);
  if (spec.profile == nullptr)
    return L.at(n["version"].Mark(), "unknown version " + quote(*ver) + " (" +
                                         known_versions(s.user_profiles, *ver) + ")");
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
  if (auto w = n["whitelist"]) {
    auto wl = parse_whitelist(L, w);
    if (!wl) return wl.error();
    spec.has_whitelist = true;
    spec.whitelist = std::move(*wl);
  }
  return spec;
}

// `nodes:` and `generate:`: names and IPs unique across both.
Result<bool> parse_nodes(const Loader& L, const YAML::Node& root, Scenario& s) {
  auto nodes = root["nodes"];
  auto gen = root["generate"];
  if (!nodes && !gen) return L.at(root.Mark(), "missing key 'nodes' (or 'generate')");
  if (nodes && (!nodes.IsSequence() || nodes.size() == 0))
    return L.at(nodes.Mark(), "'nodes' must be a non-empty list");
  std::set<std::string> names, ips;
  if (gen) {
    if (auto r = generate_nodes(L, gen, s); !r) return r.error();
    for (const auto& n : s.nodes)
      names.insert(n.name), ips.insert(n.ip);
  }
  if (auto t = root["topology"]) {
    if (auto r = parse_topology(L, t, s.topology); !r) return r.error();
  }
  if (auto c = root["consensus"]) {
    if (auto r = parse_consensus(L, c, s.consensus); !r) return r.error();
  }
  for (const auto& n : nodes ? nodes : YAML::Node(YAML::NodeType::Sequence)) {
    auto spec = parse_node(L, n, s);
    if (!spec) return spec.error();
    if (!ips.insert(spec->ip).second)
      return L.at(n["ip"].Mark(), "duplicate node ip " + quote(spec->ip));
    if (!names.insert(spec->name).second)
      return L.at(n["name"] ? n["name"].Mark() : n.Mark(),
                  "duplicate node name " + quote(spec->name));
    s.nodes.push_back(std::move(*spec));
  }
  return true;
}

// `latency.regions`: rules between the nodes' regions.
Result<bool> parse_region_latency(const Loader& L, const YAML::Node& regions, Scenario& s) {
  if (!regions.IsSequence()) return L.at(regions.Mark(), "'latency.regions' must be a list");
  std::set<std::string> known;  // the nodes' regions
  for (const auto& n : s.nodes)
    if (!n.region.empty()) known.insert(n.region);
  for (const auto& r : regions) {
    auto m = L.latency(r, "latency.regions entry", {"between"});
    if (!m) return m.error();
    auto b = r["between"];
    if (!b || !b.IsSequence() || b.size() != 2)
      return L.at(r.Mark(), "latency.regions entry needs 'between: [region, region]'");
    for (const auto& x : {b[0], b[1]})
      if (auto k = known_region(L, x, known); !k) return k.error();
    LatencyRule rule{b[0].Scalar(), b[1].Scalar(), false, *m};
    s.region_latency.push_back(std::move(rule));
  }
  return true;
}

// `latency.links`: rules between two nodes (`between`) or one way (`from`/`to`).
Result<bool> parse_link_latency(const Loader& L, const YAML::Node& links, Scenario& s) {
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
          return L.at(x.Mark(), "unknown node " + quote(x.Scalar()));
    } else if (r["from"] && r["to"]) {
      rule.a = r["from"].Scalar();
      rule.b = r["to"].Scalar();
      rule.one_way = true;
      for (const auto& x : {r["from"], r["to"]})
        if (s.node_index(x.Scalar()) < 0)
          return L.at(x.Mark(), "unknown node " + quote(x.Scalar()));
    } else {
      return L.at(r.Mark(), "latency.links entry needs 'between: [a, b]' or 'from:'+'to:'");
    }
    s.link_latency.push_back(std::move(rule));
  }
  return true;
}

// `latency:` (default, regions, links).
Result<bool> parse_latency(const Loader& L, const YAML::Node& lat, Scenario& s) {
  if (auto r = L.keys(lat, "latency", {"default", "regions", "links"}); !r) return r.error();
  if (auto d = lat["default"]) {
    auto m = L.latency(d, "latency.default", {});
    if (!m) return m.error();
    s.default_latency = *m;
  }
  if (auto regions = lat["regions"]) {
    if (auto r = parse_region_latency(L, regions, s); !r) return r.error();
  }
  if (auto links = lat["links"]) {
    if (auto r = parse_link_latency(L, links, s); !r) return r.error();
  }
  return true;
}

// Every section of the scenario mapping, in dependency order.
Result<bool> parse_sections(const Loader& L, const YAML::Node& root, std::string_view text,
                            Scenario& s) {
  if (auto r = parse_header(L, root, s); !r) return r.error();
  if (auto v = root["versions"]) {  // before the nodes, upgrades and shares that name them
    auto own = parse_versions(v, L.path());
    if (!own) return own.error();
    s.user_profiles = std::move(*own);
  }
  if (auto w = root["whitelist"]) {
    auto ips = parse_whitelist(L, w);
    if (!ips) return ips.error();
    s.whitelist = std::move(*ips);
  }
  if (auto r = parse_nodes(L, root, s); !r) return r.error();
  if (auto r = check_links(L, root, s); !r) return r.error();
  if (auto lat = root["latency"]) {
    if (auto r = parse_latency(L, lat, s); !r) return r.error();
  }
  if (auto r = parse_faults(L, root, s); !r) return r.error();
  return parse_properties(L, root, text, s);
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view text, const std::string& path) {
  Loader L(path);
  Scenario s;
  s.path = path;
  s.text_hash = fnv1a64(text);
  s.name = stem_of(path);
  if (text.find('\0') != std::string_view::npos)
    return Error{path + ":1:1: not a text file (contains NUL bytes)"};
  if (auto deep = check_nesting(text, path); !deep) return deep.error();
  auto root = load_document(L, text);
  if (!root) return root.error();
  if (!*root || root->IsNull())
    return Error{path + ":1:1: empty scenario (expected a mapping with 'nodes')"};
  if (auto r = L.keys(*root, "scenario",
                      {"name", "description", "seed", "duration", "epoch", "latency", "nodes",
                       "generate", "topology", "faults", "upgrades", "chaos", "consensus",
                       "versions", "properties", "whitelist"});
      !r)
    return r.error();
  try {
    if (auto r = parse_sections(L, *root, text, s); !r) return r.error();
  } catch (const YAML::Exception& e) {
    return L.at(e.mark, e.msg);
  }
  return s;
}

}  // namespace ts::sim
