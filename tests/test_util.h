// Helpers shared by scenario tests: run a scenario into an in-memory results DB and query it.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.h"
#include "sim/world.h"
#include "store/recorder.h"

namespace ts::test {

inline std::string source_path(const std::string& rel) {
  return std::string(TIMESIM_SOURCE_DIR) + "/" + rel;
}

inline sim::Scenario load(const std::string& rel) {
  auto sc = sim::load_scenario_file(source_path(rel));
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

// A finished run held in an in-memory DB.
struct Run {
  std::unique_ptr<sim::Recorder> rec;
  sim::RunStats stats;

  sqlite3* db() const { return rec->db(); }

  // First column of the first row of `sql`, as int64 (0 when NULL or no row).
  std::int64_t scalar(const std::string& sql) const {
    sqlite3_stmt* s = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db(), sql.c_str(), -1, &s, nullptr) == SQLITE_OK,
                    sqlite3_errmsg(db()));
    std::int64_t v = 0;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
  // All rows of `sql`, each column rendered as text ("NULL" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql) const {
    sqlite3_stmt* s = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(db(), sql.c_str(), -1, &s, nullptr) == SQLITE_OK,
                    sqlite3_errmsg(db()));
    std::vector<std::vector<std::string>> out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        const auto* t = sqlite3_column_text(s, i);
        row.push_back(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    return out;
  }
};

// `level`: what the recorder keeps (default: what a plain `timesim run` keeps).
inline Run run(const sim::Scenario& sc, std::uint64_t seed, Duration duration_ns,
               std::optional<sim::RecordLevel> level = std::nullopt) {
  Run r;
  auto rec = sim::Recorder::open(":memory:");
  REQUIRE(rec.ok());
  r.rec = std::move(*rec);
  if (level) r.rec->set_level(*level);
  sim::RunInfo info;
  info.scenario_name = sc.name;
  info.scenario_path = sc.path;
  info.seed = seed;
  info.duration_ns = duration_ns;
  REQUIRE(r.rec->begin_run(info).ok());
  sim::World world(sc, seed, r.rec.get());
  auto stats = world.run(duration_ns);
  REQUIRE_MESSAGE(stats.ok(), (stats.ok() ? "" : stats.error().message));
  r.stats = *stats;
  sim::RunTotals totals;
  totals.events = stats->events;
  totals.end_ns = stats->end_ns;
  totals.fingerprint = stats->fingerprint;
  REQUIRE(r.rec->end_run("complete", totals).ok());
  return r;
}

}  // namespace ts::test
