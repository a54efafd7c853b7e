#include "faults/fault.h"
#include "common/streams.h"

#include <algorithm>
#include <array>

namespace ts::sim {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(FaultKind::kCount)> kNames = {
    "partition", "latency", "loss",       "bandwidth",    "reset",      "corrupt",
    "truncate",  "garbage", "oversize",   "old_protocol", "wrong_kind", "refuse",
    "crash",     "pause",   "clock_skew", "upgrade",
};

bool contains(const std::vector<std::uint32_t>& v, std::uint32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string names_of(const std::vector<std::uint32_t>& v, const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + names[v[i]];
  return s + "]";
}

std::string ms(Duration d) {
  return std::to_string(d / kMillisecond) + "ms";
}

}  // namespace

std::string_view fault_kind_name(FaultKind k) {
  const auto i = static_cast<std::size_t>(k);
  return i < kNames.size() ? kNames[i] : "?";
}

bool fault_kind_from_name(std::string_view name, FaultKind& out) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) {
      out = static_cast<FaultKind>(i);
      return true;
    }
  return false;
}

bool is_link_fault(FaultKind k) {
  return k <= FaultKind::kWrongKind;
}

bool is_one_shot(FaultKind k) {
  return (k >= FaultKind::kReset && k <= FaultKind::kWrongKind) || k == FaultKind::kUpgrade;
}

bool can_end(FaultKind k, node::CloseReason reason) {
  using node::CloseReason;
  using enum FaultKind;
  switch (reason) {
    case CloseReason::kPongTimeout:
      return k == kPartition || k == kLatency || k == kLoss || k == kBandwidth || k == kPause;
    case CloseReason::kConnectTimeout:
      return k == kPartition || k == kLatency || k == kLoss || k == kBandwidth || k == kPause ||
             k == kCrash;
    case CloseReason::kConnectRefused:
      return k == kRefuse || k == kUpgrade;
    case CloseReason::kReset:
      return k == kReset || k == kCrash || k == kUpgrade;
    case CloseReason::kRetransmitTimeout:
      return k == kLoss;
    case CloseReason::kKeepaliveTimeout:
      return k == kPartition || k == kCrash;
    case CloseReason::kInvalidMessage:
    case CloseReason::kLineTooLong:
    case CloseReason::kOldProtocol:
    case CloseReason::kInvalidUtf8:
      return k >= kCorrupt && k <= kWrongKind;
    default:
      return false;
  }
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
  switch (kind) {
    case FaultKind::kLatency:
      return std::string(latency_kind_name(latency.kind)) + " typical " + ms(latency.typical_ns());
    case FaultKind::kLoss:
      return "loss " + std::to_string(loss.num) + "/" + std::to_string(loss.den);
    case FaultKind::kBandwidth:
      return std::to_string(bandwidth_bps) + " bit/s";
    case FaultKind::kReset:
      return "fraction " + std::to_string(fraction.num) + "/" + std::to_string(fraction.den);
    case FaultKind::kOversize:
      return std::to_string(size) + " bytes";
    case FaultKind::kCrash:
      return restart_after_ns < 0 ? "no restart" : "restart after " + ms(restart_after_ns);
    case FaultKind::kClockSkew:
      return "offset " + ms(clock_offset_ns) + ", drift " + std::to_string(drift_ppm) + " ppm";
    case FaultKind::kUpgrade:
      return "to " + std::string(to_profile ? to_profile->name : "?") + ", restart delay " +
             ms(restart_delay_ns);
    default:
      return "";
  }
}

namespace {

std::string yaml_quote(std::string_view v) {
  std::string s = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') s.push_back('\\');
    s.push_back(c);
  }
  return s + "\"";
}

std::string yaml_names(const std::vector<std::uint32_t>& v, const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + yaml_quote(names[v[i]]);
  return s + "]";
}

// Exact: "0s" or a whole number of ns (the loader's durations are positive).
std::string yaml_ns(Duration d) {
  return d == 0 ? "0s" : std::to_string(d) + "ns";
}
std::string yaml_signed_ns(Duration d) {
  return d < 0 ? "-" + yaml_ns(-d) : yaml_ns(d);
}
std::string yaml_ratio(Ratio r) {
  return std::to_string(r.num) + "/" + std::to_string(r.den);
}

}  // namespace

std::string Fault::to_yaml(const std::vector<std::string>& names) const {
  std::string s = "{kind: " + std::string(fault_kind_name(kind)) + ", at: " + yaml_ns(start_ns);
  if (kind == FaultKind::kCrash) {
    if (restart_after_ns >= 0) s += ", restart_after: " + yaml_ns(restart_after_ns);
  } else if (!is_one_shot(kind) && end_ns != kNever) {
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
  switch (kind) {
    case FaultKind::kLatency:
      s += ", model: " + std::string(latency_kind_name(latency.kind));
      switch (latency.kind) {
        case LatencyKind::kFixed:
          s += ", value: " + yaml_ns(latency.value_ns);
          break;
        case LatencyKind::kUniform:
          s += ", min: " + yaml_ns(latency.min_ns) + ", max: " + yaml_ns(latency.max_ns);
          break;
        case LatencyKind::kNormal:
          s += ", mean: " + yaml_ns(latency.value_ns) + ", stddev: " + yaml_ns(latency.stddev_ns) +
               ", min: " + yaml_ns(latency.min_ns);
          break;
      }
      break;
    case FaultKind::kLoss:
      s += ", loss: " + yaml_ratio(loss);
      break;
    case FaultKind::kBandwidth:
      s += ", bps: " + std::to_string(bandwidth_bps);
      break;
    case FaultKind::kReset:
      s += ", fraction: " + yaml_ratio(fraction);
      break;
    case FaultKind::kOversize:
      s += ", size: " + std::to_string(size);
      break;
    case FaultKind::kClockSkew:
      s += ", offset: " + yaml_signed_ns(clock_offset_ns) +
           ", drift_ppm: " + std::to_string(drift_ppm);
      break;
    case FaultKind::kUpgrade:
      s += ", to: " + yaml_quote(to_profile ? to_profile->name : "?") +
           ", restart_delay: " + yaml_ns(restart_delay_ns);
      break;
    default:
      break;
  }
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
    const auto n = static_cast<std::uint32_t>(node_count);
    switch (f.kind) {
      case FaultKind::kPartition: {  // a random split into two non-empty groups
        f.group_of.assign(node_count, 0);
        const std::uint32_t cut = 1 + static_cast<std::uint32_t>(rng.below(n - 1));
        std::vector<std::uint32_t> order(n);
        for (std::uint32_t i = 0; i < n; ++i)
          order[i] = i;
        for (std::uint32_t i = n - 1; i > 0; --i)
          std::swap(order[i], order[rng.below(i + 1)]);
        for (std::uint32_t i = 0; i < cut; ++i)
          f.group_of[order[i]] = 1;
        break;
      }
      case FaultKind::kCrash:
      case FaultKind::kPause:
      case FaultKind::kRefuse:
      case FaultKind::kClockSkew:
      case FaultKind::kUpgrade:
        f.nodes.push_back(static_cast<std::uint32_t>(rng.below(n)));
        if (f.kind == FaultKind::kCrash) {
          f.restart_after_ns = d;
          f.end_ns = t + d;
        }
        if (f.kind == FaultKind::kClockSkew) {
          f.clock_offset_ns = rng.uniform(-seconds(120), seconds(120));
          f.end_ns = kNever;
        }
        break;
      default: {  // a random link, both directions
        const auto a = static_cast<std::uint32_t>(rng.below(n));
        auto b = static_cast<std::uint32_t>(rng.below(n - 1));
        if (b >= a) ++b;
        f.from = {a};
        f.to = {b};
        if (f.kind == FaultKind::kLatency)
          f.latency = LatencyModel::fixed(rng.uniform(millis(200), seconds(2)));
        if (f.kind == FaultKind::kLoss)
          f.loss = Ratio{static_cast<std::uint64_t>(rng.uniform(1, 30)), 100};
        if (f.kind == FaultKind::kBandwidth) f.bandwidth_bps = rng.uniform(8000, 64000);
        if (f.kind == FaultKind::kOversize)
          f.size = static_cast<std::uint32_t>(rng.uniform(1024, 65536));
        break;
      }
    }
    out.push_back(std::move(f));
  }
  return out;
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
