// A scenario's own version profiles (`versions:`): loading, strict errors, the YAML form of a
// profile, the `profiles` rows of a run, and the summary reading its timers from them.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "analysis/summary.h"
#include "node_core/profile_fields.h"
#include "run_cli.h"
#include "scenario/scenario.h"
#include "scenario/scenario_versions.h"
#include "store/profile_rows.h"
#include "test_util.h"

using namespace ts;

namespace {

const char* kTwoNodes = R"(nodes:
  - {name: a, ip: 10.0.0.1, version: my-fix}
  - {name: b, ip: 10.0.0.2, version: post-fix}
)";

std::string error_of(const std::string& text) {
  auto s = sim::parse_scenario(text, "t.yaml");
  REQUIRE_FALSE(s.ok());
  return s.error().message;
}

}  // namespace

TEST_CASE("versions: a profile is its base plus the overrides, nested or dotted") {
  auto s = sim::parse_scenario(std::string(R"(versions:
  my-fix:
    base: post-fix
    description: faster redial
    reconnect: {initial: 2s, max: 60s}
    ping.interval: 10s
  my-fix-2: {base: my-fix, handshake: {network: testnet}, max_line: 64KiB}
)") + kTwoNodes + "  - {name: c, ip: 10.0.0.3, version: my-fix-2}\n",
                               "t.yaml");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  REQUIRE(s->user_profiles.size() == 2);
  const auto& post = *node::find_profile("post-fix");
  const auto& mine = *s->nodes[0].profile;
  CHECK(mine.name == "my-fix");
  CHECK(mine.base == "post-fix");
  CHECK(mine.commit == "31ad283+my-fix");
  CHECK(mine.description == "faster redial");
  CHECK(mine.timers.dial_backoff_initial_ns == seconds(2));
  CHECK(mine.timers.dial_backoff_max_ns == seconds(60));
  CHECK(mine.timers.ping_interval_ns == seconds(10));
  CHECK(s->user_profiles[0]->overrides ==
        std::vector<std::string>{"reconnect.initial", "reconnect.max", "ping.interval"});
  // Everything else is the base's.
  for (const auto& f : node::profile_fields()) {
    if (f.key == "reconnect.initial" || f.key == "reconnect.max" || f.key == "ping.interval")
      continue;
    CAPTURE(f.key);
    CHECK(node::field_equal(f, mine, post));
  }
  CHECK(s->nodes[1].profile == node::find_profile("post-fix"));
  const auto& second = *s->nodes[2].profile;
  CHECK(second.base == "my-fix");
  CHECK(second.timers.ping_interval_ns == seconds(10));  // inherited through my-fix
  CHECK(second.handshake_network == "testnet");
  CHECK(second.max_line_bytes == 64 * 1024);
  CHECK(second.description == "as my-fix, but handshake.network testnet, max_line 65536");
  // The scenario's copies keep the profiles alive: NodeSpec pointers stay valid.
  const sim::Scenario copy = *s;
  s = Error{"gone"};
  CHECK(copy.nodes[2].profile->handshake_network == "testnet");
  CHECK(copy.find_version("my-fix") == copy.nodes[0].profile);
}

TEST_CASE("versions: defined later, used by generate shares and upgrades") {
  auto s = sim::parse_scenario(R"(versions:
  b2: {base: b1}
  b1: {base: pre-fix, ping: {max_missed: 5}}
generate: {count: 4, versions: {b1: 50%, b2: 50%}}
upgrades:
  - {at: 5m, nodes: [n0], to: b2}
)",
                               "t.yaml");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  CHECK(s->find_version("b2")->timers.max_missed_pongs == 5);
  CHECK(s->faults.at(0).to_profile == s->find_version("b2"));
  const auto used = sim::used_profiles(*s);
  REQUIRE(used.size() == 2);
}

TEST_CASE("versions: every bad definition is an error at its file:line:col") {
  const std::string tail = kTwoNodes;
  auto bad = [&](const std::string& versions) { return error_of("versions:\n" + versions + tail); };
  CHECK(bad("  my-fix: {base: post-fix, pingg: {interval: 1s}}\n") ==
        "t.yaml:2:28: unknown key 'pingg' in version 'my-fix' (expected one of: base, "
        "description, commit, dial_rule, handshake, wire, outbound, max_line, "
        "invalid_utf8_ends_connection, max_peers, remote_masternodes_active, planted, blacklist, "
        "keepalive, "
        "ping, reconnect, connect_timeout, heartbeat, blocks, sync, consensus, rate_limit, "
        "line_limit, parse, gossip, conn, broadcast, pex)");
  CHECK(bad("  my-fix: {base: post-fix, dial_rule: lower}\n") ==
        "t.yaml:2:39: version 'my-fix': 'dial_rule' must be one of: string-lower, "
        "octets-higher, both");
  CHECK(
      bad("  my-fix: {base: post-fix, ping: {intervall: 1s}}\n")
          .find(
              "t.yaml:2:35: unknown key 'intervall' in version 'my-fix' group 'ping' (expected one "
              "of: interval, check_interval, timeout, max_missed, pending_limit, whitelist_source, "
              "whitelisted, whitelisted_timeout, whitelisted_max_missed, pending_drop, "
              "purge_after, purge_edge_percent)") == 0);
  CHECK(bad("  my-fix: {base: post-fix, ping: 10s}\n") ==
        "t.yaml:2:34: version 'my-fix': 'ping' must be a mapping of interval, check_interval, "
        "timeout, max_missed, pending_limit, whitelist_source, whitelisted, whitelisted_timeout, "
        "whitelisted_max_missed, pending_drop, purge_after, purge_edge_percent");
  CHECK(bad("  my-fix: {base: post-fix, ping: {interval: [1s]}}\n") ==
        "t.yaml:2:45: version 'my-fix': 'ping.interval' must be a duration");
  CHECK(bad("  my-fix: {base: post-fix, ping: {interval: 0s}}\n") ==
        "t.yaml:2:45: version 'my-fix': 'ping.interval' must be more than 0 (a duration such as "
        "30s)");
  CHECK(bad("  my-fix: {base: post-fix, ping: {interval: -5s}}\n") ==
        "t.yaml:2:45: version 'my-fix': 'ping.interval' must not be negative");
  CHECK(bad("  my-fix: {base: post-fix, ping: {interval: 400d}}\n") ==
        "t.yaml:2:45: version 'my-fix': 'ping.interval' must be at most 365d");
  CHECK(bad("  my-fix: {base: post-fix, ping: {max_missed: 0}}\n") ==
        "t.yaml:2:47: version 'my-fix': 'ping.max_missed' must be at least 1");
  CHECK(bad("  my-fix: {base: post-fix, ping: {max_missed: -1}}\n")
            .find("'ping.max_missed' must be a non-negative integer") != std::string::npos);
  CHECK(bad("  my-fix: {base: post-fix, handshake: {first: yes}}\n") ==
        "t.yaml:2:47: version 'my-fix': 'handshake.first' must be true or false");
  CHECK(bad("  my-fix: {base: post-fix, max_line: 2XB}\n") ==
        "t.yaml:2:38: version 'my-fix': 'max_line' must be a byte count such as 65536, 64KiB or "
        "2MB");
  CHECK(bad("  my-fix: {base: post-fix, handshake: {network: \"a b\"}}\n") ==
        "t.yaml:2:49: version 'my-fix': 'handshake.network' must be printable ASCII without "
        "spaces");
  CHECK(bad("  my-fix: {ping: {interval: 1s}}\n") ==
        "t.yaml:2:3: version 'my-fix': missing key 'base' (e.g. base: post-fix)");
  CHECK(bad("  my-fix: {base: post-fixx}\n") ==
        "t.yaml:2:18: version 'my-fix': unknown base 'post-fixx' (did you mean 'post-fix'? 30 "
        "built in, listed by timesim versions)");
  CHECK(bad("  x: {base: y}\n  y: {base: x}\n  my-fix: {base: x}\n") ==
        "t.yaml:3:13: versions: the bases form a cycle: x -> y -> x");
  CHECK(bad("  my-fix: {base: my-fix}\n") ==
        "t.yaml:2:18: versions: the bases form a cycle: my-fix -> my-fix");
  CHECK(bad("  post-fix: {base: pre-fix}\n  my-fix: {base: post-fix}\n") ==
        "t.yaml:2:3: version 'post-fix' is a built-in version; give yours another name");
  CHECK(bad("  my-fix: {base: post-fix}\n  my-fix: {base: pre-fix}\n") ==
        "t.yaml:3:3: version 'my-fix' is defined twice");
  CHECK(bad("  my-fix: {base: post-fix, ping: {interval: 1s}, ping.interval: 2s}\n") ==
        "t.yaml:2:50: version 'my-fix': 'ping.interval' is set twice");
  CHECK(bad("  my-fix: {base: post-fix, reconnect: {initial: 2m, max: 1m}}\n") ==
        "t.yaml:2:3: version 'my-fix': 'reconnect.max' must be at least 'reconnect.initial'");
  CHECK(bad("  \"my fix\": {base: post-fix}\n") ==
        "t.yaml:2:3: version name 'my fix' may hold only letters, digits, '-', '_' and '.'");
  CHECK(bad("  my-fix: post-fix\n") ==
        "t.yaml:2:11: version 'my-fix' must be a mapping such as {base: post-fix, ping: "
        "{interval: 10s}}");
  CHECK(error_of("versions: [a]\n" + tail) ==
        "t.yaml:1:11: 'versions' must map new version names to {base: ..., overrides}");
  // A node naming an unknown version lists the scenario's own too.
  CHECK(error_of("versions: {my-fix: {base: post-fix}}\nnodes:\n  - {ip: 10.0.0.1, version: "
                 "mine}\n") ==
        "t.yaml:3:29: unknown version 'mine' (30 built in, listed by timesim versions; the "
        "scenario's: my-fix)");
}

TEST_CASE("versions: a profile's YAML lists every field and loads back to the same profile") {
  for (const auto& builtin : node::all_profiles()) {
    CAPTURE(builtin.name);
    // Each field moved off its value too, so a field the YAML left out would show.
    node::VersionProfile changed = builtin;
    std::deque<std::string> strings;
    for (const auto& f : node::profile_fields()) {
      const auto text = node::format_field_value(f.type, f.get(builtin));
      std::string other = f.type == node::FieldType::kBool ? (text == "true" ? "false" : "true")
                          : f.type == node::FieldType::kDuration ? "1h2m3s4ms"
                          : f.type == node::FieldType::kString   ? "othernet"
                                                                 : "77";
      if (f.type == node::FieldType::kEnum)  // the next choice
        for (std::size_t i = 0; i < f.choices.size(); ++i)
          if (f.choices[i] == text) other = f.choices[(i + 1) % f.choices.size()];
      REQUIRE(sim::set_field_from_text(f, other, changed, strings).ok());
    }
    for (const auto* p : {&builtin, static_cast<const node::VersionProfile*>(&changed)}) {
      const std::string yaml = sim::profile_to_yaml(*p);
      CAPTURE(yaml);
      for (const auto& f : node::profile_fields()) {
        const std::string_view key = f.key;
        const auto leaf = key.substr(key.find('.') + 1);  // whole key when there is no dot
        CHECK(yaml.find(std::string(leaf) + ": ") != std::string::npos);
      }
      // Loaded as a new profile based on the built-in, it has every field of *p.
      std::string body = yaml;
      if (p->base.empty()) body.insert(1, "base: " + std::string(builtin.name) + ", ");
      auto s = sim::parse_scenario(
          "versions: {again: " + body + "}\nnodes:\n  - {ip: 10.0.0.1, version: again}\n",
          "t.yaml");
      REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
      for (const auto& f : node::profile_fields()) {
        CAPTURE(f.key);
        CHECK(node::field_equal(f, *s->nodes[0].profile, *p));
      }
    }
  }
}

// A run's summary classifies links with the timers of the run's own profiles, read from its
// `profiles` rows. `slow-ping` pings every 2 min and gives up after the two connect-time
// pings go unanswered for 80 s; `short-lines` accepts lines of at most 16 bytes, so it never
// reads a's Handshake or Pings and never answers. Each connection lives until the first
// 10 s check tick after 80 s (90 s) and is redialled 60 s later: torn down and redialled
// within two of slow-ping's ping intervals, a cycling link. With the built-in 30 s interval
// the summary would call the same link flapping (90 s > 60 s).
TEST_CASE("versions: the summary reads ping and reconnect timers from the run's profiles") {
  auto sc = sim::parse_scenario(R"(versions:
  slow-ping:
    base: post-fix
    ping: {interval: 2m, timeout: 80s, check_interval: 10s, max_missed: 2}
    reconnect: {after_close: 1m}
  short-lines: {base: post-fix, max_line: 16}
nodes:
  - {name: a, ip: 10.0.0.1, version: slow-ping}
  - {name: b, ip: 10.0.0.2, version: short-lines}
)",
                                "t.yaml");
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  const auto& t = sc->find_version("slow-ping")->timers;
  const auto run = test::run(*sc, 1, 30 * kMinute);
  // The rows: every field of both profiles, as numbers where they are numbers.
  CHECK(run.scalar("SELECT count(*) FROM profiles") ==
        2 * static_cast<std::int64_t>(node::profile_fields().size() + 1));
  CHECK(run.scalar("SELECT number FROM profiles WHERE name='slow-ping' AND key='ping.interval'") ==
        t.ping_interval_ns);
  CHECK(run.rows("SELECT value, base, commit_id FROM profiles WHERE name='slow-ping' AND "
                 "key='ping.interval'") ==
        std::vector<std::vector<std::string>>{{"2m", "post-fix", "31ad283+slow-ping"}});
  auto s = sim::summarize(run.db(), 0);
  REQUIRE(s.ok());
  REQUIRE(s->links.size() == 1);
  const auto& l = s->links[0];
  CHECK(l.main_close_reason == "pong_timeout");
  // The two connect-time pings expire at timeout; the first check tick past it closes.
  const Duration life =
      (t.ping_timeout_ns / t.ping_check_interval_ns + 1) * t.ping_check_interval_ns;
  CHECK(l.median_lifetime_ns == life);
  CHECK(l.median_redial_gap_ns == t.reconnect_delay_ns);
  CHECK(l.connections >= 3);
  CHECK(l.up_fraction < 0.9);
  CHECK(life > 2 * node::ProtocolTimers{}.ping_interval_ns);  // the defaults would differ
  CHECK(life < sim::kCyclingPingIntervals * t.ping_interval_ns);
  CHECK(l.link_class == "cycling");
  CHECK(s->cycling == 1);
}

TEST_CASE("versions: `timesim versions` lists the built-ins' and a scenario's changes") {
  const auto dir = test::fresh_dir("versions_cli");
  {
    std::ofstream f(dir / "mine.yaml");
    f << "versions:\n  my-fix: {base: post-fix, reconnect: {initial: 2s, max: 60s}}\n" << kTwoNodes;
  }
  const auto plain = test::timesim("versions", dir);
  CHECK(plain.exit_code == 0);
  // Computed from the field table: hypothetical-full-outbound's three switches differ from
  // post-fix.
  CHECK(plain.out.find("changes from post-fix: outbound.handles_all false -> true, "
                       "outbound.writes_broadcasts false -> true, max_line 0 -> 2000000") !=
        std::string::npos);
  CHECK(plain.out.find("changes from logging-fix: handshake.first false -> true") !=
        std::string::npos);
  CHECK(plain.out.find("my-fix") == std::string::npos);
  const auto own = test::timesim("versions mine.yaml", dir);
  CHECK(own.exit_code == 0);
  CHECK(own.out.find("my-fix           31ad283+my-fix         as post-fix") != std::string::npos);
  CHECK(
      own.out.find("changes from post-fix: reconnect.initial 10s -> 2s, reconnect.max 5m -> 1m") !=
      std::string::npos);
  const auto json = test::timesim("versions mine.yaml --json", dir);
  CHECK(json.exit_code == 0);
  CHECK(json.out.find("\"key\": \"reconnect.max\"") != std::string::npos);
  // A run records the profile by name, and --all-version takes the scenario's own too.
  const auto run =
      test::timesim("run mine.yaml --duration 2m -q --all-version my-fix --db r.db", dir);
  CAPTURE(run.err);
  CHECK(run.exit_code == 0);
  const auto bad =
      test::timesim("run mine.yaml --duration 2m -q --all-version nope --db s.db", dir);
  CHECK(bad.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(dir / "s.db"));
}

// Consensus slots are counted on the run's own block interval (its profiles' rows), and the
// summary names the profile's minimum of active masternodes.
TEST_CASE("versions: the consensus summary counts slots on the profile's block interval") {
  auto sc = sim::parse_scenario(R"(versions:
  fast-blocks: {base: hypothetical-full-outbound, blocks: {interval: 5m, min_active: 2}}
consensus: {sample_interval: 60s}
nodes:
  - {ip: 10.0.0.1, version: fast-blocks}
  - {ip: 10.0.0.2, version: fast-blocks}
  - {ip: 10.0.0.3, version: fast-blocks}
)",
                                "t.yaml");
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  const auto& t = sc->find_version("fast-blocks")->timers;
  const Duration run_ns = 30 * kMinute;
  const auto run = test::run(*sc, 1, run_ns);
  auto s = sim::summarize(run.db(), 0);
  REQUIRE(s.ok());
  REQUIRE(s->consensus.present);
  CHECK(s->consensus.block_interval_ns == t.block_interval_ns);
  CHECK(s->consensus.slots == static_cast<std::uint64_t>(run_ns / t.block_interval_ns));
  CHECK(s->consensus.slots !=
        static_cast<std::uint64_t>(run_ns / node::ProtocolTimers{}.block_interval_ns));
  CHECK(s->consensus.min_active_masternodes == 2);
}
