#include "node_core/broadcast_channel.h"

#include <algorithm>

namespace ts::node {

void BroadcastChannel::set_blocked(ConnId conn, bool blocked) {
  const auto it = std::find(blocked_.begin(), blocked_.end(), conn);
  if (blocked && it == blocked_.end()) blocked_.push_back(conn);
  if (!blocked && it != blocked_.end()) blocked_.erase(it);
}

bool BroadcastChannel::blocked(ConnId conn) const {
  return std::find(blocked_.begin(), blocked_.end(), conn) != blocked_.end();
}

void BroadcastChannel::hold(ConnId sub, MsgKind kind, const std::string& bytes,
                            std::uint32_t capacity) {
  auto it = std::find_if(subs_.begin(), subs_.end(), [&](const Sub& s) { return s.id == sub; });
  if (it == subs_.end()) {
    subs_.push_back(Sub{sub, 0, false, {}});
    it = subs_.end() - 1;
  }
  ++it->missed;
  if (it->lagged) return;
  // tokio's ring keeps the newest `capacity`; the oldest one this receiver has not taken
  // is overwritten by message capacity + 1: its next recv is Lagged.
  if (capacity != 0 && it->missed > capacity) {
    it->lagged = true;
    std::vector<Held>().swap(it->held);
    return;
  }
  it->held.push_back(Held{kind, bytes});
}

std::vector<ConnId> BroadcastChannel::waiting() const {
  std::vector<ConnId> ids;
  ids.reserve(subs_.size());
  for (const auto& s : subs_)
    ids.push_back(s.id);
  return ids;
}

BroadcastChannel::Resume BroadcastChannel::resume(ConnId sub) {
  Resume r;
  const auto it =
      std::find_if(subs_.begin(), subs_.end(), [&](const Sub& s) { return s.id == sub; });
  if (it == subs_.end()) return r;
  r.lagged = it->lagged;
  r.held = std::move(it->held);
  subs_.erase(it);
  return r;
}

std::uint64_t BroadcastChannel::missed(ConnId sub) const {
  const auto it =
      std::find_if(subs_.begin(), subs_.end(), [&](const Sub& s) { return s.id == sub; });
  return it == subs_.end() ? 0 : it->missed;
}

void BroadcastChannel::forget(ConnId conn) {
  set_blocked(conn, false);
  std::erase_if(subs_, [&](const Sub& s) { return s.id == conn; });
}

}  // namespace ts::node
