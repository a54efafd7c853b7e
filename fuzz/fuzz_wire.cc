// libFuzzer target: bytes from a peer -> one Node connection (NDJSON framing, decoding, the
// connection state machine, and the consensus handlers), for every version profile and both
// directions. Must not crash, assert or hold unbounded memory.
//
// Input layout: byte 0 picks the profile (modulo their count) and the direction (bit 2); byte 1 is
// the chunk size (1..256) the rest is fed in, as TCP would split it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/assert.h"
#include "node_core/node.h"
#include "node_core/version_profile.h"

using namespace ts;
using namespace ts::node;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto profiles = all_profiles();
  const VersionProfile& profile = profiles[data[0] % profiles.size()];
  const bool inbound = (data[0] & 4) != 0;
  const std::size_t chunk = 1 + data[1];
  NodeConfig cfg;
  cfg.ip = "10.0.0.5";
  cfg.peers = {PeerAddr{"10.0.0.9"}, PeerAddr{"10.0.0.1"}};  // dials .9; .1 dials it
  cfg.clock_epoch_unix_s = 1766106000;
  cfg.consensus = true;
  Node n(cfg, profile, 42);
  std::vector<Output> out;
  SimTime now = 0;
  n.handle(now, Start{});
  n.drain(out);
  const ConnId conn = 7;
  if (inbound) {
    n.handle(now, Connected{conn, Direction::kInbound, 0, "10.0.0.1", 50000});
  } else {
    // The start-up pass dials one peer at once (which one depends on the profile's dial
    // rule); a profile whose rule dials neither gets the bytes inbound instead.
    const Dial* dial = nullptr;
    for (const auto& o : out)
      if (const auto* d = std::get_if<Dial>(&o)) dial = d;
    if (dial != nullptr)
      n.handle(now, Connected{conn, Direction::kOutbound, dial->peer, {}, 0});
    else
      n.handle(now, Connected{conn, Direction::kInbound, 0, "10.0.0.1", 50000});
  }
  n.drain(out);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    now += 1'000'000;  // 1 ms between reads
    n.handle(now, BytesIn{conn, bytes.substr(i, chunk)});
    out.clear();
    n.drain(out);
    // Memory per connection stays bounded where the profile caps lines as they arrive
    // (344e7e0's listener reads the whole line before its check, as upstream does).
    if (profile.max_line_bytes > 0 &&
        profile.inbound.line_limit != LineLimitMode::kListenerViolation)
      TS_ASSERT(n.buffered_bytes() <= profile.max_line_bytes + chunk);
  }
  // Timers keep working on whatever state the bytes left behind.
  n.handle(now + seconds(600), TimerFired{TimerId{TimerKind::kBlockSlot, 0}});
  n.handle(now + seconds(601), TimerFired{TimerId{TimerKind::kHeartbeat, 0}});
  n.handle(now + seconds(602), TimerFired{TimerId{TimerKind::kSyncPoll, 0}});
  n.handle(now + seconds(603), Closed{conn, CloseReason::kPeerClosed});
  out.clear();
  n.drain(out);
  return 0;
}
