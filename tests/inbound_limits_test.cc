// The listener's per-IP rate limits (upstream network/rate_limiter.rs, server.rs), the
// after-read line-size check (344e7e0), the concatenated-JSON check (53ac100), later parse
// error handling (34bcf6e, 45404fc) and the blacklist whitelist (a875f42): node inputs in,
// outputs checked. Expected values come from the upstream constants cited per test.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "node_core/blacklist.h"
#include "node_core/node.h"
#include "node_core/rate_limiter.h"
#include "node_harness.h"

using namespace ts;
using namespace ts::node;

namespace {

const VersionProfile& post_fix() {
  return *find_profile("post-fix");
}

// 344e7e0's listener limits (rate_limiter.rs:19-34, server.rs:278, :348-366, :492-516), on
// post-fix's transport.
VersionProfile dos_suite() {
  VersionProfile p = post_fix();
  p.name = "test-344e7e0";
  InboundPolicy& in = p.inbound;
  auto set = [&](RateBucket b, std::uint32_t count, Duration window) {
    in.rate[static_cast<std::size_t>(b)] = RateLimit{count, window};
  };
  set(RateBucket::kTx, 50, kSecond);
  set(RateBucket::kVote, 100, kSecond);
  set(RateBucket::kBlock, 10, kSecond);
  set(RateBucket::kGetBlocks, 5, seconds(10));
  set(RateBucket::kGetPeers, 5, seconds(60));
  set(RateBucket::kMasternodeAnnounce, 1, seconds(300));
  set(RateBucket::kPing, 2, seconds(10));
  in.block_vote_is_vote = true;
  in.excess_is_violation = true;
  in.cleanup_keep_windows = 10;
  in.cleanup_interval_ns = seconds(10);
  in.line_limit = LineLimitMode::kListenerViolation;
  p.max_line_bytes = 2'000'000;
  return p;
}

const RateLimit& limit(const VersionProfile& p, RateBucket b) {
  return p.inbound.rate[static_cast<std::size_t>(b)];
}

struct Harness : test::NodeHarness {
  Harness(std::string ip, const VersionProfile& p, std::vector<std::string> whitelist = {})
      : NodeHarness(make_cfg(std::move(ip), std::move(whitelist)), p) {
    feed(0, Start{});
  }
  static NodeConfig make_cfg(std::string ip, std::vector<std::string> whitelist) {
    NodeConfig c = test::node_config(std::move(ip));
    c.whitelist = std::move(whitelist);
    return c;
  }
  int sent(MsgKind k) const {
    int n = 0;
    for (const auto& s : all<Send>())
      n += s.kind == k;
    return n;
  }
  bool closed(CloseReason r) const {
    for (const auto& c : all<Close>())
      if (c.reason == r) return true;
    return false;
  }
  // An inbound connection from `ip` with a valid Handshake.
  void accept(SimTime now, ConnId id, std::string_view ip) {
    feed(now, Connected{id, Direction::kInbound, 0, ip, 50000});
    feed(now, BytesIn{id, encode(Handshake{kMagic, kProtocolVersion, "mainnet"})});
  }
  std::vector<Output>& line(SimTime now, ConnId id, const Message& m) {
    return feed(now, BytesIn{id, encode(m)});
  }
};

const Message kAnnouncement =
    Opaque{MsgKind::kMasternodeAnnouncement, R"({"address":"10.0.0.1:24100","tier":"Free"})"};

}  // namespace

TEST_CASE("rate limiter: fixed window from the first check, reset only when strictly older") {
  // rate_limiter.rs:57-70 at 344e7e0: (last_reset, count) created at the check; reset when
  // now - last_reset > window; allowed (and counted) while count < max.
  VersionProfile p = dos_suite();
  p.inbound.cleanup_keep_windows = 0;
  const RateLimit ping = limit(p, RateBucket::kPing);
  REQUIRE(ping.count == 2);
  RateLimiter r(p.inbound);
  r.start(0);
  const SimTime t0 = seconds(3);
  CHECK(r.allow(RateBucket::kPing, "1.1.1.1", t0));
  CHECK(r.allow(RateBucket::kPing, "1.1.1.1", t0));
  CHECK_FALSE(r.allow(RateBucket::kPing, "1.1.1.1", t0));
  CHECK(r.allow(RateBucket::kPing, "1.1.1.2", t0));  // per IP
  CHECK(r.allow(RateBucket::kTx, "1.1.1.1", t0));    // per bucket
  // exactly one window later: not reset (strict >); excess is not counted either
  CHECK_FALSE(r.allow(RateBucket::kPing, "1.1.1.1", t0 + ping.window_ns));
  CHECK(r.allow(RateBucket::kPing, "1.1.1.1", t0 + ping.window_ns + 1));
  CHECK(r.allow(RateBucket::kPing, "1.1.1.1", t0 + ping.window_ns + 1));
  CHECK_FALSE(r.allow(RateBucket::kPing, "1.1.1.1", t0 + ping.window_ns + 1));
}

TEST_CASE("rate limiter: the purge uses the checked bucket's window, for every counter") {
  // rate_limiter.rs:52-56 at 344e7e0: more than 10 s after the last cleanup, keep only
  // counters younger than 10 x the window of the key being checked.
  const VersionProfile p = dos_suite();
  const Duration ping_window = limit(p, RateBucket::kPing).window_ns;
  const SimTime purge_at = p.inbound.cleanup_keep_windows * ping_window;  // 100 s
  REQUIRE(purge_at < limit(p, RateBucket::kMasternodeAnnounce).window_ns);
  for (const bool purging : {true, false}) {
    CAPTURE(purging);
    VersionProfile q = p;
    if (!purging) q.inbound.cleanup_keep_windows = 0;
    RateLimiter r(q.inbound);
    r.start(0);
    CHECK(r.allow(RateBucket::kMasternodeAnnounce, "1.1.1.1", 0));
    CHECK(r.allow(RateBucket::kPing, "1.1.1.2", purge_at - 1));  // purges nothing yet
    CHECK(r.counters() == 2);
    // a ping check at 100 s forgets the announce counter (age 100 s >= 10 x 10 s)
    CHECK(r.allow(RateBucket::kPing, "1.1.1.2", purge_at + q.inbound.cleanup_interval_ns));
    CHECK(r.counters() == (purging ? 1 : 2));
    CHECK(r.allow(RateBucket::kMasternodeAnnounce, "1.1.1.1", purge_at + seconds(11)) == purging);
  }
}

TEST_CASE("rate limit: a reconnect within the ping window exceeds ping 2/10 s (344e7e0)") {
  // The dialer sends two Pings at connect (the connect path's and the interval's first
  // tick, peer_connection.rs); it reconnects 5 s after a session ends (client.rs:412-413),
  // inside the listener's ping window of 10 s (rate_limiter.rs:32).
  const VersionProfile p = dos_suite();
  const Duration gap = p.timers.reconnect_delay_ns;
  REQUIRE(gap < limit(p, RateBucket::kPing).window_ns);
  for (const bool limited : {true, false}) {
    CAPTURE(limited);
    const VersionProfile& prof = limited ? p : post_fix();
    Harness l("10.0.0.2", prof);
    l.accept(0, 1, "10.0.0.1");
    l.feed(0, BytesIn{1, encode(Ping{1, 0}) + encode(Ping{2, 0})});
    CHECK(l.sent(MsgKind::kPong) == 2);
    l.feed(seconds(1), Closed{1, CloseReason::kPeerClosed});
    l.accept(seconds(1) + gap, 2, "10.0.0.1");
    l.feed(seconds(1) + gap, BytesIn{2, encode(Ping{3, 0}) + encode(Ping{4, 0})});
    CHECK(l.sent(MsgKind::kPong) == (limited ? 0 : 2));
    CHECK(l.errors(ProtocolErrorKind::kRateLimited) == (limited ? 2 : 0));
    CHECK(l.all<Ban>().empty());  // violations 1 and 2: below the first ban step (3)
    CHECK(l.all<Close>().empty());
    // the next ping inside the same window is the 3rd violation: 5-min ban, closed
    l.line(seconds(1) + gap + 1, 2, Ping{5, 0});
    if (limited) {
      REQUIRE(l.all<Ban>().size() == 1);
      CHECK(l.all<Ban>()[0].violations == p.blacklist.ladder[0].violations);
      CHECK(l.all<Ban>()[0].duration_ns == p.blacklist.ladder[0].ban_ns);
      CHECK(l.all<Ban>()[0].reason == "Rate limit exceeded: ping");
      CHECK(l.closed(CloseReason::kRateLimited));
    } else {
      CHECK(l.sent(MsgKind::kPong) == 1);
    }
  }
}

TEST_CASE("rate limit: announcements every 60 s vs 1/300 s ban at the 3rd excess (ban storm)") {
  // 344e7e0: masternode_announce 1/300 s (rate_limiter.rs:28-31); announcements every 60 s
  // (main.rs at 925de6b..a896294^). 2nd, 3rd, 4th announcement = violations 1-3; the 3rd
  // bans 5 min (blacklist.rs:65-70) and closes (server.rs:492-516).
  const VersionProfile p = dos_suite();
  Harness l("10.0.0.2", p);
  l.accept(0, 1, "10.0.0.1");
  l.line(0, 1, kAnnouncement);
  CHECK(l.notes(NoteKind::kMessageHandled) == 1);
  for (int k = 1; k <= 3; ++k) {
    CAPTURE(k);
    l.line(k * seconds(60), 1, kAnnouncement);
    CHECK(l.notes(NoteKind::kMessageHandled) == 0);
    CHECK(l.errors(ProtocolErrorKind::kRateLimited) == 1);
    CHECK(l.all<Ban>().size() == (k == 3 ? 1u : 0u));
    CHECK(l.closed(CloseReason::kRateLimited) == (k == 3));
  }
  REQUIRE(l.all<Ban>().size() == 1);
  CHECK(l.all<Ban>()[0].duration_ns == 5 * kMinute);
  const SimTime banned_at = seconds(180);
  l.feed(banned_at + 5 * kMinute - 1, Connected{2, Direction::kInbound, 0, "10.0.0.1", 50001});
  CHECK(l.closed(CloseReason::kBanned));
  l.accept(banned_at + 5 * kMinute, 3, "10.0.0.1");
  CHECK_FALSE(l.closed(CloseReason::kBanned));

  SUBCASE("a896294's 3/60 s: announcements every 60 s never exceed it") {
    VersionProfile q = p;
    q.inbound.rate[static_cast<std::size_t>(RateBucket::kMasternodeAnnounce)] = {3, seconds(60)};
    Harness m("10.0.0.2", q);
    m.accept(0, 1, "10.0.0.1");
    for (int k = 0; k <= 10; ++k) {
      m.line(k * seconds(60), 1, kAnnouncement);
      CHECK(m.notes(NoteKind::kMessageHandled) == 1);
    }
  }
  SUBCASE("ea701a4 (no announce limit, excess not a violation): never limited") {
    Harness m("10.0.0.2", *find_profile("pre-fix"));
    m.accept(0, 1, "10.0.0.1");
    for (int k = 0; k <= 10; ++k) {
      m.line(k * seconds(60), 1, kAnnouncement);
      CHECK(m.notes(NoteKind::kMessageHandled) == 1);
    }
  }
}

TEST_CASE("rate limit: pings every 30 s purge the announce counter - the ban comes at 300 s") {
  // rate_limiter.rs:52-56: each ping check (window 10 s) more than 10 s after the last purge
  // forgets counters older than 100 s, so the announce counter started at t lives until the
  // first ping check at or after t + 100 s: announcements at 120 s and 240 s start afresh,
  // and only 60 s, 180 s and 300 s exceed (derived).
  const VersionProfile p = dos_suite();
  Harness l("10.0.0.2", p);
  l.accept(0, 1, "10.0.0.1");
  l.feed(0, BytesIn{1, encode(Ping{0, 0}) + encode(Ping{1, 0}) + encode(kAnnouncement)});
  CHECK(l.notes(NoteKind::kMessageHandled) == 3);
  std::vector<int> excess_at;
  SimTime ban_at = kNever;
  for (int s = 30; s <= 300 && ban_at == kNever; s += 30) {
    std::string bytes = encode(Ping{static_cast<std::uint64_t>(s), 0});
    if (s % 60 == 0) bytes += encode(kAnnouncement);  // the ping first: it triggers the purge
    l.feed(seconds(s), BytesIn{1, bytes});
    CHECK(l.sent(MsgKind::kPong) == 1);
    if (l.errors(ProtocolErrorKind::kRateLimited) > 0) excess_at.push_back(s);
    if (!l.all<Ban>().empty()) ban_at = seconds(s);
  }
  CHECK(excess_at == std::vector<int>{60, 180, 300});
  CHECK(ban_at == seconds(300));
}

TEST_CASE("rate limit: ea701a4's defaults - tx 1000/1 s, vote 10/1 s, excess skipped only") {
  // rate_limiter.rs:12-16, :28 (unknown key "vote": 10 per 1 s); server.rs:382, :420.
  const VersionProfile& p = post_fix();
  CHECK(limit(p, RateBucket::kTx).count == 1000);
  CHECK(limit(p, RateBucket::kVote).count == 10);
  CHECK(limit(p, RateBucket::kVote).window_ns == kSecond);
  CHECK_FALSE(p.inbound.excess_is_violation);
  Harness l("10.0.0.2", p);
  l.accept(0, 1, "10.0.0.1");
  std::string bytes;
  for (std::uint64_t i = 0; i < 15; ++i)
    bytes += encode(TransactionVote{i, "10.0.0.1", true, 0});
  l.feed(seconds(1), BytesIn{1, bytes});
  CHECK(l.notes(NoteKind::kMessageHandled) == 10);
  CHECK(l.errors(ProtocolErrorKind::kRateLimited) == 5);
  CHECK(l.all<Ban>().empty());
  CHECK(l.all<Close>().empty());
  // BlockVote is not limited at ea701a4 (only tx, vote, utxo_query, subscribe are checked)
  bytes.clear();
  for (std::uint64_t i = 0; i < 15; ++i)
    bytes += encode(BlockVote{i, 1, "10.0.0.1", true});
  l.feed(seconds(1), BytesIn{1, bytes});
  CHECK(l.errors(ProtocolErrorKind::kRateLimited) == 0);
  // the dialer's side has no limiter (peer_connection.rs)
  CHECK(rate_bucket_of(MsgKind::kBlockVote, dos_suite().inbound) == RateBucket::kVote);
}

TEST_CASE("whitelist: a whitelisted IP's excess is skipped but never counted or banned") {
  // a875f42/f6bc796 (blacklist.rs:43-57, :81-88 at 546a294): record_violation returns false
  // for a whitelisted IP, is_blacklisted None; the rate-limit macro still skips.
  VersionProfile p = dos_suite();
  p.blacklist.whitelist_exempt = true;
  for (const bool listed : {true, false}) {
    CAPTURE(listed);
    Harness l("10.0.0.2", p,
              listed ? std::vector<std::string>{"10.0.0.1"} : std::vector<std::string>{});
    l.accept(0, 1, "10.0.0.1");
    int handled = 0, bans = 0;
    bool closed = false;
    for (int k = 0; k <= 5 && !closed; ++k) {
      l.line(k * seconds(60), 1, kAnnouncement);
      handled += l.notes(NoteKind::kMessageHandled);
      bans += static_cast<int>(l.all<Ban>().size());
      closed = !l.all<Close>().empty();
    }
    CHECK(handled == 1);
    CHECK(bans == (listed ? 0 : 1));
    CHECK(closed == !listed);
  }
  // without the switch the list changes nothing
  const VersionProfile plain = dos_suite();
  IpBlacklist bl(plain.blacklist);
  bl.set_whitelist({"1.2.3.4"});
  for (int i = 0; i < 3; ++i)
    bl.record_violation("1.2.3.4", seconds(i));
  CHECK(bl.is_banned("1.2.3.4", seconds(3)));
  // with it, listing an IP forgets its ban
  IpBlacklist wl(p.blacklist);
  for (int i = 0; i < 3; ++i)
    wl.record_violation("1.2.3.4", seconds(i));
  REQUIRE(wl.is_banned("1.2.3.4", seconds(3)));
  wl.set_whitelist({"1.2.3.4"});
  CHECK_FALSE(wl.is_banned("1.2.3.4", seconds(3)));
  CHECK(wl.record_violation("1.2.3.4", seconds(4)).count == 0);
}

TEST_CASE("line limit: 344e7e0 checks the listener's whole line after reading it") {
  // server.rs:278 MAX_MESSAGE_SIZE 2_000_000, :348-366: line.len() (with '\n') > max: a
  // violation, skipped, closed only when the blacklist says so. The dialer has no cap.
  const VersionProfile p = dos_suite();
  const std::uint64_t cap = p.max_line_bytes;
  Harness l("10.0.0.2", p);
  l.accept(0, 1, "10.0.0.1");
  const std::string ping = encode(Ping{1, 0});  // padded in front to exactly the cap
  l.feed(seconds(1), BytesIn{1, std::string(cap - ping.size(), ' ') + ping});
  CHECK(l.errors(ProtocolErrorKind::kLineTooLong) == 0);
  CHECK(l.sent(MsgKind::kPong) == 1);
  const std::string over = std::string(cap, 'x');
  l.feed(seconds(2), BytesIn{1, over});
  CHECK(l.node.buffered_bytes() >= cap);  // read whole, not discarded as it arrives
  for (int k = 1; k <= 3; ++k) {
    CAPTURE(k);
    if (k > 1) l.feed(seconds(2 + k), BytesIn{1, over});
    l.feed(seconds(2 + k), BytesIn{1, "\n"});
    CHECK(l.errors(ProtocolErrorKind::kLineTooLong) == 1);
    CHECK(l.errors(ProtocolErrorKind::kInvalidJson) == 0);  // skipped, not parsed
    CHECK(l.all<Ban>().size() == (k == 3 ? 1u : 0u));
    CHECK(l.closed(CloseReason::kLineTooLong) == (k == 3));
  }
  // outbound: no cap, the line is parsed (and only logged)
  NodeConfig dc;
  dc.ip = "10.0.0.1";
  dc.peers.push_back(PeerAddr{"10.0.0.2"});
  Node dialer(dc, p, 1);
  std::vector<Output> out;
  dialer.handle(0, Start{});
  dialer.handle(1, Connected{7, Direction::kOutbound, 0, {}, 0});
  dialer.handle(2, BytesIn{7, over + "\n"});
  dialer.drain(out);
  int too_long = 0, invalid = 0;
  for (const auto& o : out)
    if (const auto* n = std::get_if<Note>(&o); n && n->kind == NoteKind::kProtocolError) {
      too_long += n->value == static_cast<int>(ProtocolErrorKind::kLineTooLong);
      invalid += n->value == static_cast<int>(ProtocolErrorKind::kInvalidJson);
    }
  CHECK(too_long == 0);
  CHECK(invalid == 1);

  SUBCASE("discard (the model's earlier rule): dropped as it arrives, no violation") {
    VersionProfile q = p;
    q.inbound.line_limit = LineLimitMode::kDiscard;
    Harness m("10.0.0.2", q);
    m.accept(0, 1, "10.0.0.1");
    for (int k = 0; k < 4; ++k)
      m.feed(seconds(1), BytesIn{1, over + "x\n"});
    CHECK(m.node.buffered_bytes() == 0);
    CHECK(m.errors(ProtocolErrorKind::kLineTooLong) == 1);
    CHECK(m.all<Ban>().empty());
  }
  SUBCASE("close (34bcf6e's 4 MiB frame): the connection ends, no violation") {
    VersionProfile q = p;
    q.inbound.line_limit = LineLimitMode::kClose;
    q.max_line_bytes = 4 * 1024 * 1024;  // wire.rs:10 MAX_FRAME_SIZE
    Harness m("10.0.0.2", q);
    m.accept(0, 1, "10.0.0.1");
    m.feed(seconds(1), BytesIn{1, std::string(q.max_line_bytes + 1, 'x') + "\n"});
    CHECK(m.closed(CloseReason::kLineTooLong));
    CHECK(m.all<Ban>().empty());
  }
}

TEST_CASE("parse errors: 53ac100 discards concatenated objects without a violation") {
  // server.rs:1488-1545 at 53ac100.
  VersionProfile p = dos_suite();
  p.inbound.split_concatenated_json = true;
  const std::string two = R"({"Ping":{"nonce":1,"timestamp":2}}{"Ping":{"nonce":2,"timestamp":3}})";
  const std::string one = R"({"NoSuchVariant":{"x":1}})";
  Harness l("10.0.0.2", p);
  l.accept(0, 1, "10.0.0.1");
  for (int k = 0; k < 12; ++k)
    l.feed(seconds(1), BytesIn{1, two + "\n"});
  CHECK(l.sent(MsgKind::kPong) == 0);  // discarded, not processed
  CHECK(l.all<Ban>().empty());
  CHECK(l.all<Close>().empty());
  // one object: a failed parse (counted) but neither a violation nor the close check
  const std::uint32_t max_bad = p.blacklist.max_bad_lines;
  for (std::uint32_t k = 0; k < max_bad; ++k)
    l.feed(seconds(2), BytesIn{1, one + "\n"});
  CHECK(l.all<Ban>().empty());
  CHECK(l.all<Close>().empty());
  // the next plain bad line takes the violation path: its count is past 10 - closed
  l.feed(seconds(3), BytesIn{1, "{not json\n"});
  CHECK(l.closed(CloseReason::kInvalidMessage));
  CHECK(l.all<Ban>().empty());  // the IP's first violation

  SUBCASE("without the check each concatenated line is a violation") {
    Harness m("10.0.0.2", dos_suite());
    m.accept(0, 1, "10.0.0.1");
    for (int k = 0; k < 3; ++k)
      m.feed(seconds(1), BytesIn{1, two + "\n"});
    CHECK(m.all<Ban>().size() == 1);
  }
}

TEST_CASE("parse errors: close (34bcf6e) and skip (45404fc) record no violation") {
  // 34bcf6e server.rs:532-535 (frame error ends the loop), peer_connection.rs:899-902;
  // 45404fc wire.rs read_message -> UnknownMessage (skipped).
  for (const ParseErrorMode mode : {ParseErrorMode::kClose, ParseErrorMode::kSkip}) {
    VersionProfile p = dos_suite();
    p.inbound.parse_error = mode;
    Harness l("10.0.0.2", p);
    l.accept(0, 1, "10.0.0.1");
    for (int k = 0; k < 12 && l.all<Close>().empty(); ++k)
      l.feed(seconds(1), BytesIn{1, "{not json\n"});
    CHECK(l.all<Ban>().empty());
    CHECK(l.closed(CloseReason::kInvalidMessage) == (mode == ParseErrorMode::kClose));
  }
}
