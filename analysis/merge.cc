#include "analysis/merge.h"

#include <sqlite3.h>

#include <algorithm>
#include <memory>

#include "store/recorder.h"

namespace ts::analysis {
namespace {

struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// The path of the output DB, for messages.
std::string db_name(sqlite3* db) {
  const char* f = sqlite3_db_filename(db, "main");
  return f ? f : "?";
}

Error merge_error(sqlite3* db) {
  return Error{"merge into '" + db_name(db) + "': " + sqlite3_errmsg(db)};
}

Result<bool> exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Error{"merge into '" + db_name(db) + "': " + msg};
  }
  return true;
}

Result<std::vector<std::string>> column_list(sqlite3* db, const std::string& schema,
                                             const std::string& table) {
  sqlite3_stmt* raw = nullptr;
  const std::string sql = "SELECT name FROM " + schema + ".pragma_table_info(?1) ORDER BY cid";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return merge_error(db);
  Stmt s(raw);
  sqlite3_bind_text(raw, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::string> cols;
  while (sqlite3_step(raw) == SQLITE_ROW)
    cols.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
  return cols;
}

std::string quote(const std::string& id) {
  return "\"" + id + "\"";
}

}  // namespace

Result<bool> merge_results(const std::string& out, const std::vector<MergeInput>& inputs,
                           const MergeStop& stop) {
  // Every input must be a results DB this timesim can read: checked before `out` is touched.
  for (const auto& in : inputs) {
    auto state = sim::inspect_results_db_file(in.path);
    if (!state) return state.error();
    if (*state == sim::DbState::kNew)
      return Error{"'" + in.path + "' is not a timesim results DB (it is empty: no runs)"};
  }
  auto rec = sim::Recorder::open(out);  // creates the current schema
  if (!rec) return rec.error();
  sqlite3* db = (*rec)->db();
  const bool sides = std::any_of(inputs.begin(), inputs.end(),
                                 [](const MergeInput& in) { return !in.side.empty(); });
  if (sides) {
    if (auto ok = exec(db,
                       "CREATE TABLE IF NOT EXISTS compare_runs (run_id INTEGER PRIMARY KEY, "
                       "side TEXT NOT NULL, label TEXT NOT NULL, seed INTEGER NOT NULL)");
        !ok)
      return ok;
  }
  std::vector<std::string> index_sql;  // the inputs' indexes, rebuilt once at the end
  std::size_t folded = 0;
  for (const auto& in : inputs) {
    if (stop && stop(folded)) break;
    ++folded;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS src", -1, &raw, nullptr) != SQLITE_OK)
      return merge_error(db);
    Stmt attach(raw);
    sqlite3_bind_text(raw, 1, in.path.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(raw) != SQLITE_DONE)
      return Error{"merge: cannot attach '" + in.path + "': " + sqlite3_errmsg(db)};
    attach.reset();
    auto result = [&]() -> Result<bool> {
      if (auto ok = exec(db, "BEGIN"); !ok) return ok;
      std::int64_t offset = 0;
      {
        sqlite3_stmt* q = nullptr;
        sqlite3_prepare_v2(db, "SELECT COALESCE(max(run_id), 0) FROM main.runs", -1, &q, nullptr);
        Stmt s(q);
        if (q && sqlite3_step(q) == SQLITE_ROW) offset = sqlite3_column_int64(q, 0);
      }
      std::vector<std::pair<std::string, std::string>> tables;  // name, create sql
      {
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(db,
                               "SELECT name, sql FROM src.sqlite_master WHERE type='table' "
                               "ORDER BY CASE name WHEN 'runs' THEN 0 ELSE 1 END, name",
                               -1, &q, nullptr) != SQLITE_OK)
          return merge_error(db);
        Stmt s(q);
        while (sqlite3_step(q) == SQLITE_ROW)
          tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                              reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
      }
      {
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(
                db, "SELECT sql FROM src.sqlite_master WHERE type='index' AND sql IS NOT NULL", -1,
                &q, nullptr) != SQLITE_OK)
          return merge_error(db);
        Stmt s(q);
        while (sqlite3_step(q) == SQLITE_ROW) {
          std::string sql = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
          if (sql.rfind("CREATE INDEX ", 0) == 0) sql.insert(13, "IF NOT EXISTS ");
          if (std::find(index_sql.begin(), index_sql.end(), sql) == index_sql.end())
            index_sql.push_back(sql);
        }
      }
      for (const auto& [name, create] : tables) {
        if (name == "compare_runs") continue;
        auto src_cols = column_list(db, "src", name);
        if (!src_cols) return src_cols.error();
        bool has_run_id = false;
        for (const auto& c : *src_cols)
          has_run_id = has_run_id || c == "run_id";
        if (!has_run_id) continue;
        auto dst_cols = column_list(db, "main", name);
        if (!dst_cols) return dst_cols.error();
        if (dst_cols->empty()) {
          if (auto ok = exec(db, create); !ok) return ok;  // unqualified: created in main
          dst_cols = src_cols;
        }
        std::string cols, sel;
        for (const auto& c : *dst_cols) {
          bool in_src = false;
          for (const auto& sc : *src_cols)
            in_src = in_src || sc == c;
          // A legacy input lacks columns added since: they get the migration's value.
          const std::string fill(sim::legacy_fill(name, c));
          if (!in_src && fill == "NULL") continue;
          cols += (cols.empty() ? "" : ", ") + quote(c);
          sel += (sel.empty() ? "" : ", ") + (!in_src         ? fill
                                              : c == "run_id" ? "run_id + " + std::to_string(offset)
                                                              : quote(c));
        }
        if (auto ok = exec(db, "INSERT INTO main." + quote(name) + " (" + cols + ") SELECT " + sel +
                                   " FROM src." + quote(name));
            !ok)
          return ok;
      }
      if (in.side.empty()) return exec(db, "COMMIT");
      sqlite3_stmt* q = nullptr;
      if (sqlite3_prepare_v2(
              db, "INSERT INTO compare_runs SELECT run_id + ?1, ?2, ?3, ?4 FROM src.runs", -1, &q,
              nullptr) != SQLITE_OK)
        return merge_error(db);
      Stmt s(q);
      sqlite3_bind_int64(q, 1, offset);
      sqlite3_bind_text(q, 2, in.side.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(q, 3, in.label.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(q, 4, static_cast<std::int64_t>(in.seed));
      if (sqlite3_step(q) != SQLITE_DONE) return merge_error(db);
      return exec(db, "COMMIT");
    }();
    if (!result) {
      (void)exec(db, "ROLLBACK");
      (void)exec(db, "DETACH DATABASE src");
      return result;
    }
    if (auto ok = exec(db, "DETACH DATABASE src"); !ok) return ok;
  }
  if (stop) (void)stop(folded);  // the final count
  for (const auto& sql : index_sql)
    if (auto ok = exec(db, sql); !ok) return ok;
  return true;
}

}  // namespace ts::analysis
