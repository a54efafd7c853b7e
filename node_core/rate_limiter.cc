#include "node_core/rate_limiter.h"

#include <algorithm>

namespace ts::node {
namespace {
// window x n, capped at kNever (windows and multiples come from profile fields).
Duration times(Duration window, std::uint32_t n) {
  if (window > 0 && n > kNever / window) return kNever;
  return window * n;
}
}  // namespace

RateBucket rate_bucket_of(MsgKind kind, const InboundPolicy& p) {
  RateBucket b = RateBucket::kCount;
  switch (kind) {
    case MsgKind::kTransactionBroadcast:
      b = RateBucket::kTx;
      break;
    case MsgKind::kTransactionVote:
      b = RateBucket::kVote;
      break;
    case MsgKind::kBlockVote:
      if (p.block_vote_is_vote) b = RateBucket::kVote;
      break;
    case MsgKind::kBlockAnnouncement:
      b = RateBucket::kBlock;
      break;
    case MsgKind::kGetBlocks:
      b = RateBucket::kGetBlocks;
      break;
    case MsgKind::kGetPeers:
      b = RateBucket::kGetPeers;
      break;
    case MsgKind::kMasternodeAnnouncement:
      b = RateBucket::kMasternodeAnnounce;
      break;
    case MsgKind::kPing:
      b = RateBucket::kPing;
      break;
    default:
      break;
  }
  if (b != RateBucket::kCount && p.rate[static_cast<std::size_t>(b)].count == 0)
    return RateBucket::kCount;
  return b;
}

void RateLimiter::start(SimTime now) {
  by_ip_.clear();
  last_cleanup_ = now;
}

std::size_t RateLimiter::counters() const {
  std::size_t n = 0;
  for (const auto& [ip, cs] : by_ip_)
    n += static_cast<std::size_t>(
        std::count_if(cs.begin(), cs.end(), [](const Counter& c) { return c.live; }));
  return n;
}

void RateLimiter::purge(SimTime now, Duration max_age) {
  for (auto it = by_ip_.begin(); it != by_ip_.end();) {
    bool any = false;
    for (Counter& c : it->second) {
      if (c.live && now - c.window_start >= max_age) c = Counter{};
      any = any || c.live;
    }
    it = any ? std::next(it) : by_ip_.erase(it);
  }
}

bool RateLimiter::allow(RateBucket bucket, std::string_view ip, SimTime now) {
  const RateLimit& limit = policy_->rate[static_cast<std::size_t>(bucket)];
  if (policy_->cleanup_keep_windows > 0 && now - last_cleanup_ > policy_->cleanup_interval_ns) {
    purge(now, times(limit.window_ns, policy_->cleanup_keep_windows));
    last_cleanup_ = now;
  }
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end()) it = by_ip_.emplace(std::string(ip), Counters{}).first;
  Counter& c = it->second[static_cast<std::size_t>(bucket)];
  if (!c.live || now - c.window_start > limit.window_ns) c = Counter{now, 0, true};
  if (c.count >= limit.count) return false;
  ++c.count;
  return true;
}

}  // namespace ts::node
