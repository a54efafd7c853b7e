// The dialer's reconnection schemes, pong-timeout and pending-nonce variants
// (node_core/reconnect_policy.h, node_core/dialer_policy.h). Expected values come from the
// upstream constants cited at each case, never from recorded output.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "node_core/codec.h"
#include "node_core/node.h"
#include "node_core/reconnect_policy.h"
#include "node_core/version_profile.h"

using namespace ts;
using namespace ts::node;

namespace {

using Action = ReconnectDecision::Action;

// ea701a4's profile with the masternode class live: remote masternodes are dialled by the
// masternode branches, so a masternode peer's dial is masternode-flagged.
VersionProfile with_masternodes() {
  VersionProfile p = *find_profile("pre-fix");
  p.remote_masternodes_active = true;
  return p;
}

// 79645be, client.rs:497-551: masternode 2 s initial, x2, cap 60 s, give up after 50;
// others 5 s, x2, cap 300 s, 10. retry_delay doubles before the first sleep after a failure.
VersionProfile doubling_79645be() {
  VersionProfile p = with_masternodes();
  p.dialer.masternode_reconnect_delay_ns = seconds(2);
  p.dialer.masternode_backoff_initial_ns = seconds(4);
  p.dialer.masternode_backoff_max_ns = seconds(60);
  p.timers.max_dial_failures_masternode = 50;
  return p;
}

VersionProfile adaptive(std::uint32_t cooldown_after) {
  VersionProfile p = with_masternodes();
  p.dialer.reconnect_scheme = ReconnectScheme::kAdaptive;
  p.dialer.cooldown_after_failures = cooldown_after;  // b8a9d18: 10; 49f500d: 3
  p.dialer.cooldown_ns = seconds(600);                // adaptive_reconnection.rs:105
  return p;
}

// The delays after `n` consecutive failures, and the action of the last one.
std::vector<std::int64_t> failure_delays_s(const VersionProfile& p, bool mn, int n, Action& last) {
  ReconnectState s;
  std::vector<std::int64_t> r;
  SimTime now = 0;
  for (int i = 0; i < n; ++i) {
    const auto d = after_failure(p, s, mn, now);
    last = d.action;
    r.push_back(d.delay_ns / kSecond);
    now += d.delay_ns;
  }
  return r;
}

// A node with one peer, fed inputs; timers it arms are kept so `run_until` can fire them.
struct Rig {
  Node node;
  std::vector<Output> out;
  std::map<std::pair<TimerKind, std::uint32_t>, SimTime> timers;
  std::vector<Note> notes;
  std::vector<Close> closes;
  std::vector<std::uint64_t> ping_nonces;
  SimTime now = 0;

  explicit Rig(const VersionProfile& p, std::vector<std::string> whitelist = {})
      : node(cfg(std::move(whitelist)), p, 7) {}
  static NodeConfig cfg(std::vector<std::string> whitelist = {}) {
    NodeConfig c;
    c.whitelist = std::move(whitelist);
    c.ip = "1.1.1.1";
    c.clock_epoch_unix_s = 1766106000;
    c.peers.push_back(PeerAddr{"2.2.2.2"});  // a masternode (PeerAddr default)
    return c;
  }
  void feed(SimTime t, const Input& in) {
    now = t;
    out.clear();
    node.handle(t, in);
    node.drain(out);
    for (const auto& o : out) {
      if (const auto* st = std::get_if<SetTimer>(&o)) timers[{st->id.kind, st->id.slot}] = st->at;
      if (const auto* n = std::get_if<Note>(&o)) {
        notes.push_back(*n);
        if (n->kind == NoteKind::kPingSent)
          ping_nonces.push_back(static_cast<std::uint64_t>(n->value));
      }
      if (const auto* c = std::get_if<Close>(&o)) closes.push_back(*c);
    }
  }
  // Fires the node's outbound-connection timers (ping tick and check) in time order up to
  // `until`, or until the connection closes.
  void run_until(SimTime until) {
    while (closes.empty()) {
      SimTime best = kNever;
      TimerKind kind{};
      for (const auto& [key, at] : timers) {
        if (key.first != TimerKind::kPingTick && key.first != TimerKind::kPingCheck) continue;
        if (at < best || (at == best && key.first == TimerKind::kPingTick)) {
          best = at;
          kind = key.first;
        }
      }
      if (best == kNever || best > until) return;
      timers.erase({kind, 0});
      feed(best, TimerFired{{kind, 0}});
    }
  }
  int count(NoteKind k) const {
    int n = 0;
    for (const auto& x : notes)
      n += x.kind == k;
    return n;
  }
  SimTime redial_at() const {
    auto it = timers.find({TimerKind::kRedial, 0});
    return it == timers.end() ? kNever : it->second;
  }
  void connect(SimTime t) { feed(t, Connected{1, Direction::kOutbound, 0, {}, 0}); }
  void pong(SimTime t, std::uint64_t nonce) { feed(t, BytesIn{1, encode(Pong{nonce, 0})}); }
};

}  // namespace

TEST_CASE("reconnect: the incident commits' doubling scheme is unchanged, both classes") {
  // ea701a4 client.rs:391-437: 5 s after a session; failures 10, 20, ..., 300; give up at
  // 20 (masternode-flagged) / 10.
  const VersionProfile p = with_masternodes();
  for (bool mn : {true, false}) {
    ReconnectState s;
    CHECK(after_session(p, s, mn).delay_ns == seconds(5));
    Action last{};
    const auto d = failure_delays_s(p, mn, mn ? 20 : 10, last);
    CHECK(d[0] == 10);
    CHECK(d[1] == 20);
    CHECK(d[5] == 300);
    CHECK(d[8] == 300);
    CHECK(last == Action::kGiveUp);
  }
}

TEST_CASE(
    "reconnect: 79645be - masternode-flagged 2 s, 4..60 s, 50 failures; others 5 s, 10..300") {
  const VersionProfile p = doubling_79645be();
  ReconnectState s;
  CHECK(after_session(p, s, true).delay_ns == seconds(2));
  CHECK(after_session(p, s, false).delay_ns == seconds(5));
  Action last{};
  auto mn = failure_delays_s(p, true, 50, last);
  CHECK(last == Action::kGiveUp);
  CHECK(mn[48] == 60);
  mn.resize(6);
  CHECK(mn == std::vector<std::int64_t>{4, 8, 16, 32, 60, 60});  // "2s -> 4s ... 60s" :541
  auto other = failure_delays_s(p, false, 10, last);
  CHECK(last == Action::kGiveUp);
  other.resize(7);
  CHECK(other == std::vector<std::int64_t>{10, 20, 40, 80, 160, 300, 300});
  // A session resets the count: 49 failures, a session, then 49 more do not give up.
  ReconnectState t;
  for (int i = 0; i < 49; ++i)
    CHECK(after_failure(p, t, true, 0).action == Action::kRetry);
  after_session(p, t, true);
  CHECK(t.failures == 0);
}

TEST_CASE("reconnect: b8a9d18 adaptive - learned delays, cooldown 600 s after 10 failures") {
  // adaptive_reconnection.rs at b8a9d18: optimal starts 5.0 (:60); failure x1.5 max 300
  // (:196-198); delay floor(clamp(optimal x mn(0.5) x (1 + 0.5 f), 2, 300)) (:361-383).
  // Regular, f = 1: 7.5 x 1.5 = 11.25 -> 11; f = 2: 11.25 x 2 = 22.5 -> 22; f = 4:
  // 25.3125 x 3 = 75.9 -> 75; f = 7: 85.4 x 4.5 > 300 -> 300.
  const VersionProfile p = adaptive(10);
  Action last{};
  auto reg = failure_delays_s(p, false, 10, last);
  CHECK(last == Action::kCooldown);
  CHECK(reg.back() == 600);
  reg.pop_back();
  CHECK(reg == std::vector<std::int64_t>{11, 22, 42, 75, 132, 227, 300, 300, 300});
  auto mn = failure_delays_s(p, true, 10, last);
  CHECK(last == Action::kCooldown);
  mn.pop_back();
  CHECK(mn == std::vector<std::int64_t>{5, 11, 21, 37, 66, 113, 192, 300, 300});
  // After sessions: success x0.9 (min 2) (:155): 4.5, 4.05, 3.6, 3.3, 2.95 -> 4, 4, 3, 3, 2;
  // masternode-flagged 4.5 x 0.5 -> 2.
  ReconnectState s;
  std::vector<std::int64_t> after;
  for (int i = 0; i < 5; ++i)
    after.push_back(after_session(p, s, false).delay_ns / kSecond);
  CHECK(after == std::vector<std::int64_t>{4, 4, 3, 3, 2});
  ReconnectState m;
  CHECK(after_session(p, m, true).delay_ns == seconds(2));
}

TEST_CASE("reconnect: 49f500d cooldown after 3 failures; the cooldown ends 600 s after the last") {
  const VersionProfile p = adaptive(3);  // adaptive_reconnection.rs:104 at 49f500d
  Action last{};
  CHECK(failure_delays_s(p, false, 3, last) == std::vector<std::int64_t>{11, 22, 600});
  CHECK(failure_delays_s(p, true, 3, last) == std::vector<std::int64_t>{5, 11, 600});
  ReconnectState s;
  for (int i = 0; i < 3; ++i)
    after_failure(p, s, false, seconds(100));
  CHECK_FALSE(may_dial(p, s, seconds(100) + seconds(599)));
  CHECK(may_dial(p, s, seconds(100) + seconds(600)));
  // Another failure after the cooldown starts the next one at once.
  CHECK(after_failure(p, s, false, seconds(700)).action == Action::kCooldown);
}

TEST_CASE(
    "node: 79645be masternode-flagged dial backs off 4, 8 s and redials 2 s after a session") {
  const VersionProfile p = doubling_79645be();
  Rig r(p);
  r.feed(0, Start{});
  r.feed(0, DialFailed{0, CloseReason::kConnectRefused});
  CHECK(r.redial_at() == seconds(4));
  r.feed(seconds(4), TimerFired{{TimerKind::kRedial, 0}});
  r.feed(seconds(4), DialFailed{0, CloseReason::kConnectRefused});
  CHECK(r.redial_at() == seconds(12));
  r.feed(seconds(12), TimerFired{{TimerKind::kRedial, 0}});
  r.connect(seconds(13));
  r.feed(seconds(20), Closed{1, CloseReason::kPeerClosed});
  CHECK(r.redial_at() == seconds(22));
}

TEST_CASE("node: adaptive cooldown is a note, blocks the masternode pass, and ends at 600 s") {
  const VersionProfile p = adaptive(3);
  Rig r(p);
  r.feed(0, Start{});
  r.feed(millis(100), TimerFired{{TimerKind::kPassStep, 0}});  // the start-up pass ends
  const SimTime pass_at = r.timers.at({TimerKind::kRedialPass, 0});
  REQUIRE(pass_at == millis(100) + seconds(120));
  SimTime t = millis(100);
  // A connect timeout (c55ddd8, 10 s) is a failed dial like any other.
  const CloseReason reasons[] = {CloseReason::kConnectTimeout, CloseReason::kConnectRefused,
                                 CloseReason::kConnectTimeout};
  for (const CloseReason why : reasons) {
    r.feed(t, DialFailed{0, why});
    t = r.redial_at();
    if (r.count(NoteKind::kPeerCooldown) != 0) break;
    r.feed(t, TimerFired{{TimerKind::kRedial, 0}});
  }
  REQUIRE(r.count(NoteKind::kPeerCooldown) == 1);
  CHECK(r.count(NoteKind::kPeerGivenUp) == 0);
  const SimTime failed_at = r.now;
  CHECK(failed_at == millis(100) + seconds(5 + 11));  // masternode-flagged: 5 s, 11 s
  CHECK(t == failed_at + seconds(600));
  // PHASE3-MN dials waiting masternodes (no is_reconnecting check), but the new task's
  // advice is "in cooldown": no dial.
  r.feed(pass_at, TimerFired{{TimerKind::kRedialPass, 0}});
  bool dialled = false;
  for (const auto& o : r.out)
    dialled = dialled || std::holds_alternative<Dial>(o);
  CHECK_FALSE(dialled);
  r.feed(t, TimerFired{{TimerKind::kRedial, 0}});
  REQUIRE(r.out.size() >= 1);
  CHECK(std::holds_alternative<Dial>(r.out[0]));
}

TEST_CASE("pong: whitelisted (masternode-flag) 180 s x 6 closes later than 90 s x 3") {
  // 79645be peer_connection.rs:177-182: whitelisted 180 s / 6, others 90 s / 3. No pong and
  // no purge: the six pings of t = 0, 0, 30, 60, 90, 120 are misses at the first 10-s check
  // more than 180 s after each; the 6th (t = 120) at t = 310.
  VersionProfile p = doubling_79645be();
  p.dialer.whitelist_source = WhitelistSource::kMasternodeFlag;
  p.dialer.whitelisted_pong = WhitelistedPong::kClose;
  p.dialer.whitelisted_pong_timeout_ns = seconds(180);
  p.dialer.whitelisted_max_missed = 6;
  p.pending_ping_limit = 0;  // no cap (fae8ba7) and no purge: the timeout alone decides
  Rig r(p);
  r.feed(0, Start{});
  r.connect(0);
  r.run_until(seconds(1000));
  REQUIRE(r.closes.size() == 1);
  CHECK(r.closes[0].reason == CloseReason::kPongTimeout);
  CHECK(r.now == seconds(310));
  CHECK(r.count(NoteKind::kPingMissed) == 6);
  // Not whitelisted (source none): 90 s x 3, the t = 30 ping at t = 130.
  p.dialer.whitelist_source = WhitelistSource::kNone;
  Rig q(p);
  q.feed(0, Start{});
  q.connect(0);
  q.run_until(seconds(1000));
  REQUIRE(q.closes.size() == 1);
  CHECK(q.now == seconds(130));
}

TEST_CASE("pong: 546a294's whitelist is the operator's list (source config), not the flag") {
  // 546a294 peer_connection.rs:381-392: peer_registry.is_whitelisted(ip), the blacklist's
  // whitelist from config.network.whitelisted_peers. At the count: misses := 0, pings cleared.
  VersionProfile p = *find_profile("post-fix");
  p.dialer.whitelist_source = WhitelistSource::kConfig;
  p.dialer.whitelisted_pong = WhitelistedPong::kResetClear;
  for (const bool listed : {true, false}) {
    CAPTURE(listed);
    Rig r(p, listed ? std::vector<std::string>{"2.2.2.2"} : std::vector<std::string>{"9.9.9.9"});
    r.feed(0, Start{});
    r.connect(0);
    r.run_until(seconds(2000));
    // Not listed: 90 s x 3 as at the incident commits, the t = 30 ping's miss at t = 130.
    CHECK(r.closes.empty() == listed);
    if (!listed) CHECK(r.now == seconds(130));
  }
}

TEST_CASE("pong: whitelisted never time out - reset (546a294, fae8ba7) or unchecked (23cebb4)") {
  VersionProfile p = with_masternodes();
  p.dialer.whitelist_source = WhitelistSource::kMasternodeFlag;
  for (const auto mode :
       {WhitelistedPong::kResetClear, WhitelistedPong::kReset, WhitelistedPong::kUnchecked}) {
    p.dialer.whitelisted_pong = mode;
    Rig r(p);
    r.feed(0, Start{});
    r.connect(0);
    r.run_until(seconds(2000));
    CHECK(r.closes.empty());
    const int missed = r.count(NoteKind::kPingMissed);
    if (mode == WhitelistedPong::kUnchecked) {
      CHECK(missed == 0);  // should_disconnect returns before check_timeout (:600-610)
    } else {
      CHECK(missed > 3);  // misses are counted, the count resets at 3 (90 s x 3)
    }
  }
}

TEST_CASE("pending: 4a84431 cap 100 drops the oldest 50; fae8ba7 keeps every nonce") {
  // peer_connection.rs:85-99 at 4a84431: at >= 100 pending, drain(0..50), then push.
  VersionProfile p = *find_profile("pre-fix");
  p.pending_ping_limit = 100;
  p.dialer.pending_drop = 50;
  p.timers.ping_timeout_ns = seconds(100000);  // no miss in this test
  Rig r(p);
  r.feed(0, Start{});
  r.connect(0);                   // 2 pings
  r.run_until(seconds(30) * 99);  // 99 more: 101 sent, the 101st found 100 and dropped 50
  REQUIRE(r.ping_nonces.size() == 101);
  r.notes.clear();
  r.pong(seconds(30) * 99 + 1, r.ping_nonces[49]);
  r.pong(seconds(30) * 99 + 1, r.ping_nonces[50]);
  CHECK(r.count(NoteKind::kPongUnmatched) == 1);
  CHECK(r.count(NoteKind::kPongMatched) == 1);
  // No cap (fae8ba7): the first nonce still matches after 6 pings (ea701a4 forgot it).
  p.pending_ping_limit = 0;
  Rig q(p);
  q.feed(0, Start{});
  q.connect(0);
  q.run_until(seconds(120));
  REQUIRE(q.ping_nonces.size() == 6);
  q.notes.clear();
  q.pong(seconds(121), q.ping_nonces[0]);
  CHECK(q.count(NoteKind::kPongMatched) == 1);
}

TEST_CASE("pending: the purge at a send is no miss; the 90 s edge is the profile's draw") {
  // fae8ba7 peer_connection.rs:86-88: pings older than 90 s purged at each send. The pings
  // of t = 0 are exactly 90 s old at the t = 90 send: the undetermined edge.
  VersionProfile p = *find_profile("pre-fix");
  p.pending_ping_limit = 0;
  p.dialer.purge_after_ns = seconds(90);
  // Edge never purged: the 10-s check counts them at t = 100 and the t = 30 ping at 130.
  p.dialer.purge_edge_percent = 0;
  Rig keep(p);
  keep.feed(0, Start{});
  keep.connect(0);
  keep.run_until(seconds(3000));
  REQUIRE(keep.closes.size() == 1);
  CHECK(keep.now == seconds(130));
  // Edge always purged: every ping goes at its 90 s send before the check can count it.
  p.dialer.purge_edge_percent = 100;
  Rig purge(p);
  purge.feed(0, Start{});
  purge.connect(0);
  purge.run_until(seconds(3000));
  CHECK(purge.closes.empty());
  CHECK(purge.count(NoteKind::kPingMissed) == 0);
  // 4a84431: purge at 120 s, timeout 90 s: the check at 100 counts first, as before.
  p.dialer.purge_after_ns = seconds(120);
  Rig late(p);
  late.feed(0, Start{});
  late.connect(0);
  late.run_until(seconds(3000));
  REQUIRE(late.closes.size() == 1);
  CHECK(late.now == seconds(130));
  // 23cebb4: timeout 300 s x 10, purge 120 s: a miss can never fire, whichever way the
  // 120 s edge goes (with 0 % each ping goes at the send after, 150 s old).
  p.dialer.purge_edge_percent = 0;
  p.timers.ping_timeout_ns = seconds(300);
  p.timers.max_missed_pongs = 10;
  Rig never(p);
  never.feed(0, Start{});
  never.connect(0);
  never.run_until(seconds(5000));
  CHECK(never.closes.empty());
  CHECK(never.count(NoteKind::kPingMissed) == 0);
}

TEST_CASE("pending: a 50 % edge draws from the node's stream, per seed, both outcomes occur") {
  VersionProfile p = *find_profile("pre-fix");
  p.pending_ping_limit = 0;
  p.dialer.purge_after_ns = seconds(90);
  p.dialer.purge_edge_percent = 50;
  int closed = 0;
  for (int run = 0; run < 40; ++run) {
    NodeConfig c = Rig::cfg();
    Rig r(p);
    r.node = Node(c, p, static_cast<std::uint64_t>(run) + 100);
    r.feed(0, Start{});
    r.connect(0);
    // Closed at 130 s only if neither edge (the t = 0 pings at 90 s, the t = 30 ping at
    // 120 s) was purged: a quarter of the seeds.
    r.run_until(seconds(130));
    closed += !r.closes.empty();
  }
  CHECK(closed > 0);
  CHECK(closed < 40);
}
