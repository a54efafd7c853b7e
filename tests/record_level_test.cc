// --record levels decide which tables a run fills; --progress and --profile report on stderr
// only, so stdout and the rows stay identical.
#include <doctest/doctest.h>

#include "run_cli.h"
#include "test_util.h"

namespace ts {

TEST_CASE("record levels: connections, samples, messages fill what they say") {
  auto sc = test::load("topologies/six_nodes_hypothetical_ideal.yaml");
  std::int64_t blocks[3] = {0, 0, 0};
  int i = 0;
  for (auto level :
       {sim::RecordLevel::kConnections, sim::RecordLevel::kSamples, sim::RecordLevel::kMessages}) {
    CAPTURE(sim::record_level_name(level));
    test::Run r;
    auto rec = sim::Recorder::open(":memory:");
    REQUIRE(rec.ok());
    r.rec = std::move(*rec);
    r.rec->set_level(level);
    sim::RunInfo info;
    info.seed = 1;
    info.duration_ns = kHour;
    REQUIRE(r.rec->begin_run(info).ok());
    sim::World w(sc, 1, r.rec.get());
    auto stats = w.run(kHour);
    REQUIRE(stats.ok());
    sim::RunTotals totals;
    totals.events = stats->events;
    REQUIRE(r.rec->end_run("complete", totals).ok());
    CHECK(r.scalar("SELECT count(*) FROM connections") == 15);
    blocks[i++] = r.scalar("SELECT count(*) FROM blocks");
    const auto samples = r.scalar("SELECT count(*) FROM samples");
    const auto messages = r.scalar("SELECT count(*) FROM messages");
    if (level == sim::RecordLevel::kConnections) {
      CHECK(samples == 0);
      CHECK(messages == 0);
    } else {
      CHECK(samples == 6 * 60);  // six nodes, one a minute
    }
    if (level == sim::RecordLevel::kMessages) {
      // Every message written is a row: the pings match the connections' counters, and the
      // byte totals match both directions' byte counters.
      CHECK(r.scalar("SELECT count(*) FROM messages WHERE kind = 'Ping'") ==
            r.scalar("SELECT sum(pings_sent) FROM connections"));
      CHECK(r.scalar("SELECT sum(bytes) FROM messages") ==
            r.scalar("SELECT sum(bytes_d2l + bytes_l2d) FROM connections"));
    } else {
      CHECK(messages == 0);
    }
  }
  CHECK(blocks[0] > 0);  // the level changes what is kept, not what happens
  CHECK(blocks[0] == blocks[1]);
  CHECK(blocks[1] == blocks[2]);
}

TEST_CASE("record levels: --progress and --profile write to stderr only") {
  const auto dir = test::fresh_dir("progress");
  std::string topo = "'";
  topo += test::source_path("topologies/six_nodes.yaml");
  topo += '\'';
  auto plain = test::timesim("run " + topo + " --db a.db", dir);
  auto loud = test::timesim("run " + topo + " --db b.db --progress --profile", dir);
  REQUIRE(plain.exit_code == 0);
  REQUIRE(loud.exit_code == 0);
  // stdout differs only in the DB name it reports.
  auto a = plain.out, b = loud.out;
  a.replace(a.find("a.db"), 4, "x.db");
  b.replace(b.find("b.db"), 4, "x.db");
  CHECK(a == b);
  CHECK(plain.err.find("SQLite:") == std::string::npos);
  CHECK(loud.err.find("SQLite: ") != std::string::npos);
  CHECK(loud.err.find("% of") == std::string::npos);
  CHECK(loud.err.find(" %), the loop waited ") != std::string::npos);
  CHECK(loud.err.find(" s for it, --record samples") != std::string::npos);
  CHECK(plain.err.find("after the loop:") == std::string::npos);
  CHECK(loud.err.find(" s ending the run (indexes), ") != std::string::npos);
  // A run long enough to report: the line is rewritten in place (\r) and cleared at the end.
  std::string big = "'";
  big += test::source_path("topologies/k_out_1000.yaml");
  big += '\'';
  auto slow = test::timesim("run " + big + " --duration 3m --db d.db --progress -q", dir);
  REQUIRE(slow.exit_code == 0);
  CHECK(slow.err.find("\r[") != std::string::npos);
  CHECK(slow.err.find(" / 3m simulated · ") != std::string::npos);
  CHECK(slow.err.find("M events/s · ETA ") != std::string::npos);
  auto quiet = test::timesim("run " + big + " --duration 3m --db e.db -q", dir);
  CHECK(quiet.err.find("\r[") == std::string::npos);  // not a terminal, not asked: no line
  auto bad = test::timesim("run " + topo + " --db c.db --record everything", dir);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err ==
        "timesim: --record: unknown level 'everything' (connections, samples or messages)\n");
  CHECK_FALSE(std::filesystem::exists(dir / "c.db"));
}

}  // namespace ts
