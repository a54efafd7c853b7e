// Helpers shared by scenario tests: run a scenario into an in-memory results DB and query it.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.h"
#include "sim/world.h"
#include "store/recorder.h"
#include "store/sqlite.h"

namespace ts::test {

inline std::string source_path(const std::string& rel) {
  return std::string(TIMESIM_SOURCE_DIR) + "/" + rel;
}

inline sim::Scenario load(const std::string& rel) {
  auto sc = sim::load_scenario_file(source_path(rel));
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

// The scenario file `rel` with `yaml` appended (e.g. a `faults:` block), parsed.
inline sim::Scenario load_with(const std::string& rel, const std::string& yaml) {
  std::ifstream in(source_path(rel));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto sc = sim::parse_scenario(text + yaml, rel.substr(rel.find_last_of('/') + 1));
  REQUIRE_MESSAGE(sc.ok(), (sc.ok() ? "" : sc.error().message));
  return std::move(*sc);
}

// The statement `sql` on `db`, prepared (a failure fails the test).
inline sql::Statement query(sqlite3* db, const std::string& sql) {
  auto s = sql::Statement::prepare(db, sql);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  return std::move(*s);
}

// First column of the first row of `sql`, as int64 (0 when NULL or no row).
inline std::int64_t scalar(sqlite3* db, const std::string& sql) {
  auto s = query(db, sql);
  return s.next() ? s.int64(0) : 0;
}

// First column of the first row of `sql` as text ("" when NULL or no row).
inline std::string scalar_text(sqlite3* db, const std::string& sql) {
  auto s = query(db, sql);
  return s.next() ? s.text(0) : "";
}

// All rows of `sql`, each column rendered as text ("NULL" for NULL).
inline std::vector<std::vector<std::string>> rows(sqlite3* db, const std::string& sql) {
  auto s = query(db, sql);
  std::vector<std::vector<std::string>> out;
  while (s.next()) {
    std::vector<std::string> row;
    for (int i = 0; i < s.column_count(); ++i)
      row.push_back(s.is_null(i) ? "NULL" : s.text(i));
    out.push_back(std::move(row));
  }
  return out;
}

// Runs `sql` on the SQLite file at `path`, created if missing (a failure fails the test).
inline void exec_file(const std::string& path, const std::string& sql) {
  auto db = sql::Db::open(path);
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  const auto ok = db->exec(sql.c_str());
  REQUIRE_MESSAGE(ok.ok(), (ok.ok() ? "" : ok.error().message));
}

// The results DB file at `path`, opened read-only (a failure fails the test).
inline sql::Db open_read_only(const std::string& path) {
  auto db = sql::Db::open(path, SQLITE_OPEN_READONLY);
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  return std::move(*db);
}

// A finished run held in an in-memory DB.
struct Run {
  std::unique_ptr<sim::Recorder> rec;
  sim::RunStats stats;

  sqlite3* db() const { return rec->db(); }

  std::int64_t scalar(const std::string& sql) const { return test::scalar(db(), sql); }
  std::vector<std::vector<std::string>> rows(const std::string& sql) const {
    return test::rows(db(), sql);
  }
};

// `level`: what the recorder keeps (default: what a plain `timesim run` keeps).
// `observer`: shown every connection row as it is written (Recorder::observe_connection_rows).
inline Run run(const sim::Scenario& sc, std::uint64_t seed, Duration duration_ns,
               std::optional<sim::RecordLevel> level = std::nullopt,
               sim::ConnRowObserver* observer = nullptr) {
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
  REQUIRE(r.rec->observe_connection_rows(observer).ok());
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
