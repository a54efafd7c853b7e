#include "analysis/merge.h"

#include <algorithm>

#include "store/recorder.h"
#include "store/sqlite.h"

namespace ts::analysis {
namespace {

// The path of the output DB, for messages.
std::string db_name(sqlite3* db) {
  const char* f = sqlite3_db_filename(db, "main");
  return f ? f : "?";
}

Error merge_error(sqlite3* db) {
  return Error{"merge into '" + db_name(db) + "': " + sqlite3_errmsg(db)};
}

Result<bool> exec(sqlite3* db, const std::string& sql) {
  if (auto ok = sql::exec(db, sql.c_str()); !ok)
    return Error{"merge into '" + db_name(db) + "': " + ok.error().message};
  return true;
}

Result<std::vector<std::string>> column_list(sqlite3* db, const std::string& schema,
                                             const std::string& table) {
  auto s = sql::Statement::prepare(
      db, "SELECT name FROM " + schema + ".pragma_table_info(?1) ORDER BY cid");
  if (!s) return merge_error(db);
  s->bind(1, table);
  std::vector<std::string> cols;
  while (s->next())
    cols.emplace_back(s->text(0));
  return cols;
}

std::string quote(const std::string& id) {
  return "\"" + id + "\"";
}

// Appends table `name` of the attached `src` (`create`: its CREATE statement) to main's,
// run ids shifted by `offset` (in a conn_key, run_id << 32 | conn_id, too: schema 9).
Result<bool> copy_table(sqlite3* db, const std::string& name, const std::string& create,
                        std::int64_t offset) {
  auto src_cols = column_list(db, "src", name);
  if (!src_cols) return src_cols.error();
  bool has_run_id = false;
  for (const auto& c : *src_cols)
    has_run_id = has_run_id || c == "run_id" || c == "conn_key";
  if (!has_run_id) return true;
  // Schema 7 and 8's connection rows are coded as a run's connections are now (schema 9).
  const std::string dst = name == "connection_rows" ? "connection_fields" : name;
  auto dst_cols = column_list(db, "main", dst);
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
                                        : c == "conn_key"
                                            ? "conn_key + (" + std::to_string(offset) + " << 32)"
                                            : quote(c));
  }
  return exec(db, "INSERT INTO main." + quote(dst) + " (" + cols + ") SELECT " + sel +
                      " FROM src." + quote(name));
}

// An index of an input, built in the output at the end.
struct SourceIndex {
  std::string name, table, sql;
};

// Appends the input attached as `src` to main in one transaction (rolled back on an error)
// and adds its indexes to `index_sql` (the first of each name).
Result<bool> fold_input(sqlite3* db, const MergeInput& in, std::vector<SourceIndex>& index_sql) {
  auto txn = sql::Transaction::begin(db);
  if (!txn) return Error{"merge into '" + db_name(db) + "': " + txn.error().message};
  std::int64_t offset = 0;
  {
    auto q = sql::Statement::prepare(db, "SELECT COALESCE(max(run_id), 0) FROM main.runs");
    if (q && q->next()) offset = q->int64(0);
  }
  // runs first; a legacy connection_rows last: its rows get shapes through the view's trigger
  // after the input's own connection_shapes rows are in.
  std::vector<std::pair<std::string, std::string>> tables;  // name, create sql
  {
    auto q = sql::Statement::prepare(
        db,
        "SELECT name, sql FROM src.sqlite_master WHERE type='table' "
        "ORDER BY CASE name WHEN 'runs' THEN 0 WHEN 'connection_rows' THEN 2 ELSE 1 END, name");
    if (!q) return merge_error(db);
    while (q->next())
      tables.emplace_back(q->text(0), q->text(1));
  }
  {
    auto q = sql::Statement::prepare(
        db,
        "SELECT name, tbl_name, sql FROM src.sqlite_master WHERE type='index' AND sql IS NOT NULL");
    if (!q) return merge_error(db);
    while (q->next()) {
      SourceIndex ix{q->text(0), q->text(1), q->text(2)};
      if (sim::is_retired_index(ix.name)) continue;
      if (std::find_if(index_sql.begin(), index_sql.end(),
                       [&](const SourceIndex& o) { return o.name == ix.name; }) == index_sql.end())
        index_sql.push_back(std::move(ix));
    }
  }
  for (const auto& [name, create] : tables) {
    if (name == "compare_runs") continue;
    if (auto ok = copy_table(db, name, create, offset); !ok) return ok;
  }
  if (!in.side.empty()) {
    auto q = sql::Statement::prepare(
        db, "INSERT INTO compare_runs SELECT run_id + ?1, ?2, ?3, ?4 FROM src.runs");
    if (!q) return merge_error(db);
    q->bind(1, offset)
        .bind(2, in.side)
        .bind(3, in.label)
        .bind(4, static_cast<std::int64_t>(in.seed));
    if (!q->step()) return merge_error(db);
  }
  if (auto ok = txn->commit(); !ok)
    return Error{"merge into '" + db_name(db) + "': " + ok.error().message};
  return true;
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
  std::vector<SourceIndex> index_sql;  // the inputs' indexes, rebuilt once at the end
  std::size_t folded = 0;
  for (const auto& in : inputs) {
    if (stop && stop(folded)) break;
    ++folded;
    {
      auto attach = sql::Statement::prepare(db, "ATTACH DATABASE ?1 AS src");
      if (!attach) return merge_error(db);
      if (auto ok = attach->bind(1, in.path).step(); !ok)
        return Error{"merge: cannot attach '" + in.path + "': " + ok.error().message};
    }
    if (auto result = fold_input(db, in, index_sql); !result) {
      (void)exec(db, "DETACH DATABASE src");
      return result;
    }
    if (auto ok = exec(db, "DETACH DATABASE src"); !ok) return ok;
  }
  if (stop) (void)stop(folded);  // the final count
  // The current schema's indexes, then any other index an input had on a table the output
  // has (not on one that is a view now: a legacy input's `connections`).
  if (auto ok = exec(db, sim::results_db_indexes()); !ok) return ok;
  for (const auto& ix : index_sql) {
    auto q = sql::Statement::prepare(
        db,
        "SELECT (SELECT count(*) FROM main.sqlite_master WHERE type='index' AND name=?1), "
        "(SELECT count(*) FROM main.sqlite_master WHERE type='table' AND name=?2)");
    if (!q) return merge_error(db);
    q->bind(1, ix.name).bind(2, ix.table);
    if (!q->next()) return merge_error(db);
    if (q->int64(0) != 0 || q->int64(1) == 0) continue;
    if (auto ok = exec(db, ix.sql); !ok) return ok;
  }
  return true;
}

}  // namespace ts::analysis
