#include "analysis/link_accumulator.h"

#include <algorithm>
#include <string_view>

namespace ts::sim {
std::uint32_t LinkAccumulator::DialBlocks::allocate() {
  const auto id = static_cast<std::uint32_t>(next_.size());
  if (id % kSlabBlocks == 0)
    slabs_.push_back(
        std::make_unique_for_overwrite<Dial[]>(std::size_t{kSlabBlocks} * kBlockDials));
  next_.push_back(kNone);
  return id;
}

void LinkAccumulator::append_dial(LinkSamples& ls, const Dial& d) {
  const auto at = static_cast<std::uint32_t>(ls.n_dials % DialBlocks::kBlockDials);
  if (at == 0) {
    const std::uint32_t b = dial_blocks_.allocate();
    if (ls.n_dials == 0)
      ls.first_block = b;
    else
      dial_blocks_.next(ls.last_block) = b;
    ls.last_block = b;
  }
  dial_blocks_.block(ls.last_block)[at] = d;
  ++ls.n_dials;
}

std::vector<LinkAccumulator::Dial> LinkAccumulator::dials_of(const LinkSamples& ls) {
  std::vector<Dial> out;
  out.reserve(ls.n_dials);
  for (std::uint32_t b = ls.first_block; out.size() < ls.n_dials; b = dial_blocks_.next(b)) {
    const Dial* d = dial_blocks_.block(b);
    const std::size_t n = std::min<std::size_t>(DialBlocks::kBlockDials, ls.n_dials - out.size());
    out.insert(out.end(), d, d + n);
  }
  return out;
}

LinkAccumulator::LinkSamples& LinkAccumulator::link(std::uint32_t d, std::uint32_t l) {
  if (d >= links_of_.size()) links_of_.resize(d + 1);
  auto& mine = links_of_[d];
  for (const auto& [listener, i] : mine)
    if (listener == l) return samples_[i];
  mine.emplace_back(l, static_cast<std::uint32_t>(samples_.size()));
  LinkSamples& s = samples_.emplace_back();
  s.dialer = d;
  s.listener = l;
  return s;
}

bool LinkAccumulator::has_link(std::uint32_t d, std::uint32_t l) const {
  if (d >= links_of_.size()) return false;
  for (const auto& [listener, i] : links_of_[d])
    if (listener == l) return true;
  return false;
}

void LinkAccumulator::add_unlinked(const ConnRowDigest& r) {
  for (const std::int64_t label : {r.dialer_version, r.listener_version})
    if (std::find(version_labels_.begin(), version_labels_.end(), label) == version_labels_.end())
      version_labels_.push_back(label);
  faulted_ += r.faulted;
  errors_in_rows_ += r.error_in_row;
}

void LinkAccumulator::add(const ConnRowDigest& r) {
  if (stopped_) return;
  if (samples_.size() == max_links_ && !has_link(r.dialer, r.listener)) {
    discard();
    return;
  }
  add_unlinked(r);
  ++rows_;
  max_node_ = std::max({max_node_, r.dialer, r.listener});
  if (r.t_closed_dialer != kNever) max_closed_ = std::max(max_closed_, r.t_closed_dialer);
  LinkSamples& ls = link(r.dialer, r.listener);
  append_dial(ls, Dial{r.t_dial, r.conn_id, r.t_closed_dialer, r.t_connect});
  // The first connection in dial order names the link (ties: the first row read).
  if (ls.n_dials == 1 ||
      std::pair{r.t_dial, r.conn_id} < std::pair{ls.first_t_dial, ls.first_conn_id}) {
    ls.first_t_dial = r.t_dial;
    ls.first_conn_id = r.conn_id;
    ls.dialer_version = r.dialer_version;
    ls.listener_version = r.listener_version;
  }
  if (r.t_connect != kNever) {
    ++ls.connections;
    if (r.t_closed_dialer != kNever) ls.up += std::min(r.t_closed_dialer, end_) - r.t_connect;
    if (r.pings_sent > kConnectPings) {  // the later pings are the interval's ticks
      // (a NULL t_last_ping_ns reads as 0, as the DB's scan did)
      ls.ping_span += (r.t_last_ping == kNever ? 0 : r.t_last_ping) - r.t_connect;
      ls.periodic_pings += r.pings_sent - kConnectPings;
    }
    if (r.pongs_matched > 0) {
      ls.pongs += r.pongs_matched;
      ls.rtt_sum += r.rtt_avg * r.pongs_matched;
    }
  }
  ls.count_reason(r.close_reason);
  ls.protocol_errors += static_cast<std::uint64_t>(r.protocol_errors);
}

void LinkAccumulator::LinkSamples::count_reason(std::int64_t label) {
  for (std::size_t k = 0; k < n_reasons; ++k)
    if (reasons[k].first == label) {
      ++reasons[k].second;
      return;
    }
  if (n_reasons < kInlineReasons) {
    reasons[n_reasons++] = {label, 1};
    return;
  }
  for (auto& [l, n] : more_reasons)
    if (l == label) {
      ++n;
      return;
    }
  more_reasons.emplace_back(label, 1);
}

void LinkAccumulator::finish_link(const Run& run, LinkSummary& l, LinkSamples& s) {
  const SimTime end = run.out.duration_ns;
  l.dialer_version = run.labels.text(s.dialer_version);
  l.listener_version = run.labels.text(s.listener_version);
  l.connections = s.connections;
  l.protocol_errors = s.protocol_errors;
  std::vector<Dial> dials = dials_of(s);
  // A connection open at the end was up until the end.
  for (auto& d : dials)
    if (d.closed == kNever) {
      d.closed = end;
      if (d.t_connect != kNever) s.up += end - d.t_connect;
    }
  std::vector<Duration> lifetimes;
  lifetimes.reserve(s.connections);
  for (const auto& d : dials)
    if (d.t_connect != kNever) lifetimes.push_back(d.closed - d.t_connect);
  const SimTime from = std::max(run.nodes[l.dialer].start, run.nodes[l.listener].start);
  const Duration span = std::max<Duration>(end - from, 1);
  l.up_fraction = static_cast<double>(s.up) / static_cast<double>(span);
  l.median_lifetime_ns = median(lifetimes);
  // Redial gaps in dial order: each connection's successor's dial - its close.
  std::sort(dials.begin(), dials.end(), [](const Dial& a, const Dial& b) {
    return std::pair{a.t_dial, a.conn_id} < std::pair{b.t_dial, b.conn_id};
  });
  std::vector<Duration> gaps;
  gaps.reserve(dials.size());
  for (std::size_t i = 0; i + 1 < dials.size(); ++i)
    gaps.push_back(dials[i + 1].t_dial - dials[i].closed);
  dials = {};
  l.median_redial_gap_ns = gaps.empty() ? -1 : median(std::move(gaps));
  l.connections_per_hour = static_cast<double>(l.connections) * kHour / static_cast<double>(span);
  if (s.periodic_pings > 0) l.ping_interval_ns = s.ping_span / s.periodic_pings;
  if (s.pongs > 0) l.rtt_avg_ns = s.rtt_sum / s.pongs;
  std::map<std::string_view, std::uint64_t> reasons;  // by text: ties go to the first name
  for (std::size_t k = 0; k < s.n_reasons; ++k)
    reasons[run.labels.text(s.reasons[k].first)] += s.reasons[k].second;
  for (const auto& [label, n] : s.more_reasons)
    reasons[run.labels.text(label)] += n;
  std::uint64_t best = 0;
  for (const auto& [reason, n] : reasons)
    if (n > best) best = n, l.main_close_reason = reason;
  l.link_class = classify(l.connections, l.up_fraction, l.median_lifetime_ns,
                          ping_interval_of(run.profiles, l.dialer_version));
  add_to_pair(l, lifetimes);
  run.out.cycling += l.link_class == "cycling";
  run.out.stable += l.link_class == "stable";
  run.out.flapping += l.link_class == "flapping";
  run.out.down += l.link_class == "down";
  s = LinkSamples{};
}

void LinkAccumulator::add_to_pair(const LinkSummary& l, const std::vector<Duration>& lifetimes) {
  auto& p = pairs_[{l.dialer_version, l.listener_version}];
  p.dialer_version = l.dialer_version;
  p.listener_version = l.listener_version;
  ++p.links;
  p.cycling += l.link_class == "cycling";
  p.stable += l.link_class == "stable";
  p.flapping += l.link_class == "flapping";
  p.down += l.link_class == "down";
  p.connections += l.connections;
  p.connections_per_link_hour += l.connections_per_hour;
  p.up_fraction += l.up_fraction;
  p.protocol_errors += l.protocol_errors;
  auto& pl = pair_lifetimes_[{l.dialer_version, l.listener_version}];
  pl.insert(pl.end(), lifetimes.begin(), lifetimes.end());
}

std::vector<std::string> LinkAccumulator::versions(const std::vector<NodeRow>& nodes,
                                                   const Labels& labels) const {
  std::vector<std::string> out;
  for (const auto& n : nodes)
    out.push_back(n.version);
  for (const std::int64_t label : version_labels_)
    out.emplace_back(labels.text(label));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void LinkAccumulator::finish(RunSummary& out, const std::vector<NodeRow>& nodes,
                             const Labels& labels, const Profiles& profiles) {
  const Run run{out, nodes, labels, profiles};
  std::vector<std::uint32_t> order(samples_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
    return std::pair{samples_[a].dialer, samples_[a].listener} <
           std::pair{samples_[b].dialer, samples_[b].listener};
  });
  out.connections = rows_;
  out.links.reserve(order.size());
  for (const std::uint32_t i : order) {
    LinkSamples& s = samples_[i];
    LinkSummary& l = out.links.emplace_back();
    l.dialer = s.dialer;
    l.listener = s.listener;
    l.dialer_name = nodes[s.dialer].name;
    l.listener_name = nodes[s.listener].name;
    l.attempts = s.n_dials;
    finish_link(run, l, s);
  }
  for (auto& [key, p] : pairs_) {
    p.connections_per_link_hour /= static_cast<double>(p.links);
    p.up_fraction /= static_cast<double>(p.links);
    p.median_lifetime_ns = median(pair_lifetimes_[key]);
    out.pairs.push_back(p);
  }
  const std::uint64_t rows = rows_, faulted = faulted_, errors = errors_in_rows_;
  *this = LinkAccumulator(end_);  // frees everything; the counts stay readable
  rows_ = rows;
  faulted_ = faulted;
  errors_in_rows_ = errors;
  finished_ = true;
}

}  // namespace ts::sim
