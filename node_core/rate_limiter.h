// RateLimiter: the listener's per-IP message rate limits (upstream network/rate_limiter.rs,
// one per node, shared by all of its inbound connections).
//
// Each (remote IP, bucket) has a counter with a fixed window: the first check creates it
// with the window starting then; a check more than the bucket's window after the window's
// start restarts it (count 0, window starting now); then the message is allowed, and
// counted, only while the count is below the limit: excess is not counted. When the policy
// purges (cleanup_keep_windows > 0), a check more than cleanup_interval_ns after the last
// purge first forgets every counter of every IP whose window started at least
// cleanup_keep_windows x the checked bucket's window ago (upstream's `retain` uses the
// window of the key being checked). Times are the node's monotonic `now` (ns).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/time.h"
#include "node_core/inbound_policy.h"
#include "node_core/message.h"

namespace ts::node {

// The bucket messages of `kind` are checked against under `p`, or RateBucket::kCount when
// they are not limited (no bucket, or the bucket's count is 0).
RateBucket rate_bucket_of(MsgKind kind, const InboundPolicy& p);

class RateLimiter {
 public:
  explicit RateLimiter(const InboundPolicy& policy) : policy_(&policy) {}

  // The limiter is created when the listener starts: the purge clock starts at `now`.
  void start(SimTime now);
  // Checks one message of `bucket` (limited under the policy) from `ip` at `now`; false
  // when it is over the limit.
  bool allow(RateBucket bucket, std::string_view ip, SimTime now);
  // Counters held (IP x bucket), for tests.
  std::size_t counters() const;

 private:
  struct Counter {
    SimTime window_start = 0;
    std::uint32_t count = 0;
    bool live = false;  // false: no counter (never checked, or purged)
  };
  using Counters = std::array<Counter, kRateBucketCount>;
  void purge(SimTime now, Duration max_age);

  const InboundPolicy* policy_;
  SimTime last_cleanup_ = 0;
  std::map<std::string, Counters, std::less<>> by_ip_;  // ordered: no hash order anywhere
};

}  // namespace ts::node
