#include "faults/fault.h"
#include "common/streams.h"

#include <algorithm>
#include <array>

namespace ts::sim {
namespace {

bool contains(const std::vector<std::uint32_t>& v, std::uint32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string names_of(const std::vector<std::uint32_t>& v, const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + names[v[i]];
  return s + "]";
}

}  // namespace

std::string_view fault_kind_name(FaultKind k) {
  return k ? k->name : "?";
}

bool fault_kind_from_name(std::string_view name, FaultKind& out) {
  const FaultKind k = find_fault_kind(name);
  if (k) out = k;
  return k != nullptr;
}

bool is_link_fault(FaultKind k) {
  return k->targets != Targets::kNodes;
}

bool is_one_shot(FaultKind k) {
  return k->one_shot;
}

bool can_end(FaultKind k, node::CloseReason reason) {
  return std::find(k->can_end.begin(), k->can_end.end(), reason) != k->can_end.end();
}

std::string fault_kind_list() {
  std::string list;
  for (FaultKind k : fault_kinds())
    list += (list.empty() ? "" : ", ") + std::string(k->name);
  return list;
}

bool Fault::matches(std::uint32_t i, std::uint32_t j) const {
  if (!group_of.empty()) {
    const int gi = i < group_of.size() ? group_of[i] : -1;
    const int gj = j < group_of.size() ? group_of[j] : -1;
    return gi >= 0 && gj >= 0 && gi != gj;
  }
  if (!from.empty() || !to.empty()) {
    if (contains(from, i) && contains(to, j)) return true;
    return !one_way && contains(to, i) && contains(from, j);
  }
  return true;
}

bool Fault::targets_node(std::uint32_t n) const {
  return contains(nodes, n);
}

bool Fault::has_length() const {
  if (kind->length_is_restart) return restart_after_ns >= 0;
  return !kind->one_shot && end_ns != kNever;
}

Duration Fault::length() const {
  return kind->length_is_restart ? restart_after_ns : end_ns - start_ns;
}

void Fault::set_length(Duration d) {
  if (kind->length_is_restart) restart_after_ns = d;
  end_ns = start_ns + d;
}

std::string Fault::describe_targets(const std::vector<std::string>& names) const {
  if (!group_of.empty()) {
    int groups = 0;
    for (int g : group_of)
      groups = std::max(groups, g + 1);
    std::string s;
    for (int g = 0; g < groups; ++g) {
      std::vector<std::uint32_t> members;
      for (std::uint32_t n = 0; n < group_of.size(); ++n)
        if (group_of[n] == g) members.push_back(n);
      s += (g ? " | " : "") + names_of(members, names);
    }
    return s;
  }
  if (!nodes.empty()) return names_of(nodes, names);
  if (!from.empty() || !to.empty())
    return names_of(from, names) + (one_way ? " -> " : " <-> ") + names_of(to, names);
  return "all links";
}

std::string Fault::describe_params() const {
  return kind->describe ? kind->describe(*this) : "";
}

std::string describe_ms(Duration d) {
  return std::to_string(d / kMillisecond) + "ms";
}

std::string yaml_quote(std::string_view v) {
  std::string s = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') s.push_back('\\');
    s.push_back(c);
  }
  return s + "\"";
}

namespace {
std::string yaml_names(const std::vector<std::uint32_t>& v, const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + yaml_quote(names[v[i]]);
  return s + "]";
}

}  // namespace

// Exact: "0s" or a whole number of ns (the loader's durations are positive).
std::string yaml_ns(Duration d) {
  return d == 0 ? "0s" : std::to_string(d) + "ns";
}
std::string yaml_signed_ns(Duration d) {
  if (d >= 0) return yaml_ns(d);
  std::string s = "-";
  return s += yaml_ns(-d);
}
Result<bool> read_fraction(const ParamReader& r, Fault& f) {
  if (!r.has("fraction")) return true;
  auto v = r.ratio("fraction");
  if (!v) return v.error();
  f.fraction = *v;
  return true;
}

std::string yaml_ratio(Ratio r) {
  return std::to_string(r.num) + "/" + std::to_string(r.den);
}

std::string Fault::to_yaml(const std::vector<std::string>& names) const {
  std::string s = "{kind: " + std::string(fault_kind_name(kind)) + ", at: " + yaml_ns(start_ns);
  if (kind->length_is_restart) {
    if (restart_after_ns >= 0) s += ", restart_after: " + yaml_ns(restart_after_ns);
  } else if (!kind->one_shot && end_ns != kNever) {
    s += ", until: " + yaml_ns(end_ns);
  }
  if (!group_of.empty()) {
    s += ", groups: [";
    int groups = 0;
    for (int g : group_of)
      groups = std::max(groups, g + 1);
    for (int g = 0; g < groups; ++g) {
      std::vector<std::uint32_t> members;
      for (std::uint32_t n = 0; n < group_of.size(); ++n)
        if (group_of[n] == g) members.push_back(n);
      s += (g ? ", " : "") + yaml_names(members, names);
    }
    s += "]";
  } else if (!from.empty() || !to.empty()) {
    if (one_way)
      s += ", from: " + yaml_names(from, names) + ", to: " + yaml_names(to, names);
    else
      s += ", between: [" + yaml_names(from, names) + ", " + yaml_names(to, names) + "]";
  }
  if (!nodes.empty()) s += ", nodes: " + yaml_names(nodes, names);
  if (kind->yaml) s += kind->yaml(*this);
  return s + "}";
}

std::vector<Fault> draw_chaos(const ChaosSpec& spec, std::uint64_t seed, std::size_t node_count,
                              Duration run_duration_ns) {
  std::vector<Fault> out;
  if (!spec.enabled || spec.kinds.empty() || spec.per_hour_num == 0 || node_count < 2) return out;
  Prng rng = Prng::derive(seed, stream_id(Stream::kChaos));
  const SimTime end = std::min(spec.end_ns, run_duration_ns);
  // mean gap = 1 h * den / num
  const Duration mean_gap =
      static_cast<Duration>(static_cast<__int128>(kHour) * spec.per_hour_den / spec.per_hour_num);
  SimTime t = spec.start_ns;
  while (true) {
    t += std::max<Duration>(1, rng.exponential(mean_gap));
    if (t >= end) break;
    Fault f;
    f.source = "chaos";
    f.kind = spec.kinds[rng.below(spec.kinds.size())];
    f.start_ns = t;
    const Duration d = rng.uniform(spec.min_duration_ns, spec.max_duration_ns);
    f.end_ns = is_one_shot(f.kind) ? t : t + d;
    f.kind->draw(f, rng, static_cast<std::uint32_t>(node_count), d);
    out.push_back(std::move(f));
  }
  return out;
}

void draw_chaos_node(Fault& f, Prng& rng, std::uint32_t n) {
  f.nodes.push_back(static_cast<std::uint32_t>(rng.below(n)));
}

void draw_chaos_link(Fault& f, Prng& rng, std::uint32_t n) {
  const auto a = static_cast<std::uint32_t>(rng.below(n));
  auto b = static_cast<std::uint32_t>(rng.below(n - 1));
  if (b >= a) ++b;
  f.from = {a};
  f.to = {b};
}

std::string_view latency_kind_name(LatencyKind k) {
  switch (k) {
    case LatencyKind::kFixed:
      return "fixed";
    case LatencyKind::kUniform:
      return "uniform";
    case LatencyKind::kNormal:
      return "normal";
  }
  return "?";
}

}  // namespace ts::sim
