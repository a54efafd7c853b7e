#include "node_core/peer_exchange.h"

#include "common/assert.h"

namespace ts::node {

std::string_view candidate_ip(std::string_view address) {
  const auto colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

void PeerExchange::start(SimTime now, std::uint32_t seeds) {
  started_ = now;
  purge_at_ = kNever;
  seeds_ = seeds;
  listed_.clear();
  by_ip_.clear();
}

SimTime PeerExchange::list(SimTime now, std::uint32_t peer) {
  TS_ASSERT(learned(peer) && peer - seeds_ < listed_.size());
  listed_[peer - seeds_] = 1;
  const Duration every = policy_->purge_interval_ns;
  if (every <= 0 || purge_at_ != kNever) return kNever;
  // The first tick after `now` (a tick at `now` itself is taken to have run first).
  const std::int64_t ticks = (now - started_) / every + 1;
  purge_at_ = add_sat(started_, clamp_duration(static_cast<__int128>(ticks) * every));
  return purge_at_;
}

std::uint32_t PeerExchange::purge() {
  std::uint32_t dropped = 0;
  for (auto& l : listed_) {
    dropped += l;
    l = 0;
  }
  purge_at_ = kNever;
  return dropped;
}

}  // namespace ts::node
