// Determinism checker: runs one scenario and seed several times in this process and compares
// the event-trace fingerprints and a digest of every results-DB row. On a mismatch it re-runs
// the first run and the first differing run with a full event trace and reports the first
// event at which they part (virtual time, node, event kind, both versions), as madsim does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "scenario/scenario.h"

namespace ts::sim {

struct DeterminismOptions {
  std::uint64_t seed = 1;
  Duration duration_ns = kHour;
  unsigned runs = 2;
  // Test-only: in run number `plant_in_run` (1-based; 0 = never) the `plant_nth_segment`-th
  // data segment arrives 1 ns late (World::set_test_nondeterminism).
  unsigned plant_in_run = 0;
  std::uint64_t plant_nth_segment = 0;
};

// One side of the first divergent event. `present` is false when that run's trace ended
// before the other's.
struct TraceSide {
  bool present = false;
  SimTime at = 0;
  std::int64_t node = -1;
  std::string kind;      // event kind name
  std::string operands;  // "a=.. b=.. c=.. d=.."
};

struct Divergence {
  unsigned run_a = 1, run_b = 2;  // 1-based run numbers compared
  std::uint64_t index = 0;        // position in the event trace (0-based)
  TraceSide a, b;
};

struct DeterminismResult {
  std::vector<std::uint64_t> fingerprints;  // per run
  std::vector<std::uint64_t> db_digests;    // per run: every row of every table
  std::uint64_t events = 0;                 // events in run 1
  bool same = true;
  std::optional<Divergence> first;  // set when a trace differs
  std::string db_only;              // set when only the DB rows differ: the first differing table
};

Result<DeterminismResult> check_determinism(const Scenario& sc, const DeterminismOptions& opt);

// A digest of every row of every table of `db` (columns named wall_* excluded: they hold
// wall-clock time). Tables in name order, rows in rowid order. `first_table`, if given,
// receives per-table digests in the same order.
struct TableDigest {
  std::string table;
  std::uint64_t digest = 0;
};
Result<std::uint64_t> db_digest(void* sqlite_db, std::vector<TableDigest>* tables = nullptr);

}  // namespace ts::sim
