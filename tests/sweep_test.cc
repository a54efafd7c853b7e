// `timesim sweep` and `timesim merge`: a sweep split into shards and merged holds the same
// runs, row for row, as the unsharded sweep (run ids aside).
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "run_cli.h"
#include "test_util.h"

namespace ts {
namespace {

// Every row of every table with a run_id, keyed by the run's seed, with run_id and the
// columns that legitimately differ between invocations (wall time, the child's command
// line with its temporary DB path) left out.
std::map<std::uint64_t, std::vector<std::string>> rows_by_seed(const std::string& path) {
  const auto db = test::open_read_only(path);
  std::map<std::int64_t, std::uint64_t> seed_of;
  for (auto s = test::query(db.get(), "SELECT run_id, seed FROM runs"); s.next();)
    seed_of[s.int64(0)] = static_cast<std::uint64_t>(s.int64(1));
  std::map<std::uint64_t, std::vector<std::string>> out;
  for (const auto& t : test::rows(db.get(),
                                  "SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "ORDER BY name")) {
    for (auto s = test::query(db.get(), "SELECT * FROM \"" + t[0] + "\" ORDER BY rowid");
         s.next();) {
      std::int64_t run = -1;
      std::string row = t[0];
      for (int i = 0; i < s.column_count(); ++i) {
        const std::string col = s.column_name(i);
        if (col == "run_id") {
          run = s.int64(i);
          continue;
        }
        if (col.rfind("wall", 0) == 0 || col == "args") continue;
        row += '|';
        row += s.is_null(i) ? "NULL" : s.text(i);
      }
      if (run >= 0) out[seed_of.at(run)].push_back(row);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("sweep: shards 1/2 and 2/2 merged equal the unsharded sweep, row for row") {
  const auto dir = test::fresh_dir("sweep");
  const std::string topo = test::source_path("topologies/six_nodes.yaml");
  const std::string common = "sweep '" + topo + "' --seeds 3..7 --duration 15m --jobs 2 ";
  auto all = test::timesim(common + "--db all.db", dir);
  REQUIRE(all.exit_code == 0);
  CHECK(all.out.find("sweep six_nodes · seeds 3..7 · 5 runs -> all.db") != std::string::npos);
  CHECK(all.out.find("churn_per_link_hour") != std::string::npos);
  REQUIRE(test::timesim(common + "--shard 1/2 --db s1.db", dir).exit_code == 0);
  REQUIRE(test::timesim(common + "--shard 2/2 --db s2.db", dir).exit_code == 0);
  auto merged = test::timesim("merge m.db s1.db s2.db", dir);
  REQUIRE(merged.exit_code == 0);
  CHECK(merged.out == "merged 2 DB(s) into m.db (5 runs)\n");

  const auto a = rows_by_seed((dir / "all.db").string());
  const auto s1 = rows_by_seed((dir / "s1.db").string());
  const auto s2 = rows_by_seed((dir / "s2.db").string());
  const auto m = rows_by_seed((dir / "m.db").string());
  CHECK(a.size() == 5);
  // Shard 1/2 takes positions 0, 2, 4 of 3..7; shard 2/2 positions 1 and 3.
  CHECK(s1.size() == 3);
  CHECK(s1.count(3) == 1);
  CHECK(s1.count(5) == 1);
  CHECK(s1.count(7) == 1);
  CHECK(s2.size() == 2);
  CHECK(s2.count(4) == 1);
  CHECK(s2.count(6) == 1);
  CHECK(m == a);
  for (const auto& [seed, rows] : a)
    CHECK(rows.size() > 100);  // real runs: connections, errors, samples, ...
}

TEST_CASE("sweep and merge: bad arguments exit 2 and write nothing") {
  const auto dir = test::fresh_dir("sweep_bad");
  std::string topo = "'";  // (built in steps: GCC 12 -Wrestrict misfires on "'" + s + "'")
  topo += test::source_path("topologies/six_nodes.yaml");
  topo += '\'';
  for (const auto& [args, msg] : std::vector<std::pair<std::string, std::string>>{
           {"sweep " + topo + " --seeds 1..4 --shard 3/2 --db o.db", "--shard takes I/N"},
           {"sweep " + topo + " --seeds 1..4 --shard 0/2 --db o.db", "--shard takes I/N"},
           {"sweep " + topo + " --seeds 4..1 --db o.db", "the range is empty"},
           {"sweep " + topo + " --seeds 1..1 --shard 2/2 --db o.db", "is empty"},
           {"merge o.db missing.db", "no such results DB: missing.db"},
       }) {
    CAPTURE(args);
    auto o = test::timesim(args, dir);
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(msg) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "o.db"));
  }
}

}  // namespace ts

namespace ts {

// --seeds means the same in every multi-seed command: N is the seeds 1..N, A..B a range.
TEST_CASE("multi-seed commands: --seeds takes a count N (1..N) or a range A..B everywhere") {
  const auto dir = test::fresh_dir("seed_forms");
  std::string six = "'";
  six += test::source_path("topologies/six_nodes.yaml");
  six += '\'';
  // sweep: --seeds 3 and --seeds 1..3 write the same runs.
  auto a = test::timesim("sweep " + six + " --seeds 3 --duration 1m --db count.db", dir);
  auto b = test::timesim("sweep " + six + " --seeds 1..3 --duration 1m --db range.db", dir);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(rows_by_seed((dir / "count.db").string()) == rows_by_seed((dir / "range.db").string()));
  CHECK(rows_by_seed((dir / "count.db").string()).size() == 3);
  // compare: a count from --seed-base, or a range.
  a = test::timesim("compare " + six + " " + six + " --seeds 2 --seed-base 4 --duration 1m", dir);
  b = test::timesim("compare " + six + " " + six + " --seeds 4..5 --duration 1m", dir);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(a.out.find("seeds 4..5") != std::string::npos);
  CHECK(a.out == b.out);
  // check-determinism: a count, or a range.
  a = test::timesim("check-determinism " + six + " --seeds 2 --duration 1m", dir);
  b = test::timesim("check-determinism " + six + " --seeds 1..2 --duration 1m", dir);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(a.out.find("seeds 1..2") != std::string::npos);
  CHECK(a.out == b.out);
}

}  // namespace ts
