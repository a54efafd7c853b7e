// `timesim faults DB [--run N]`: prints a recorded run's fault schedule (scheduled and
// drawn by chaos alike) as a `faults:` YAML block. Appended to the run's topology in place
// of its `faults:`, `upgrades:` and `chaos:` sections, it replays the run with the same
// seed: the same faults at the same nanoseconds, hence the same rows. Each entry's comment
// says where it came from and what it did: the connections it ended, by close reason.
#include <fmt/core.h>

#include <filesystem>
#include <map>
#include <memory>

#include "cli/command.h"
#include "store/results_db.h"

namespace ts::cli {
namespace {

struct FaultsOptions {
  std::string db;
  std::int64_t run = 0;  // <= 0: the newest run
};

int print_faults(const FaultsOptions& o) {
  if (!std::filesystem::exists(o.db)) return fail(2, "no such results DB: " + o.db);
  auto opened = sim::open_results_db_for_reading(o.db);
  if (!opened) return fail(2, opened.error().message);
  const sql::Db& db = *opened;
  // Runs `sql` with ?1 bound to `arg`, calling on_row for each row; the SQL error if any.
  auto query = [&](const char* sql, std::int64_t arg, auto&& on_row) -> Result<bool> {
    auto s = db.prepare(sql);
    if (!s) return s.error();
    s->bind(1, arg);
    while (s->next())
      on_row(*s);
    return s->status();
  };
  std::int64_t run_id = 0;
  std::uint64_t seed = 0;
  std::string scenario;
  if (auto ok = query("SELECT run_id, seed, scenario FROM runs WHERE run_id = ?1 OR ?1 <= 0 ORDER "
                      "BY run_id DESC LIMIT 1",
                      o.run,
                      [&](const sql::Statement& s) {
                        run_id = s.int64(0);
                        seed = static_cast<std::uint64_t>(s.int64(1));
                        scenario = s.text(2);
                      });
      !ok)
    return fail(2, "results DB '" + o.db + "': " + ok.error().message);
  if (run_id == 0)
    return fail(2, o.run > 0 ? fmt::format("no run {} in {}", o.run, o.db) : "no runs in " + o.db);
  // What each fault did: the connections it ended, by close reason.
  std::map<std::int64_t, std::pair<std::int64_t, std::string>> ended;
  (void)query(
      "SELECT fault_id, close_reason, count(*) FROM connections WHERE run_id = ?1 AND fault_id IS "
      "NOT NULL "
      "GROUP BY 1, 2 ORDER BY 1, 2",
      run_id, [&](const sql::Statement& q) {
        auto& [total, text] = ended[q.int64(0)];
        const auto count = q.int64(2);
        total += count;
        text += fmt::format("{}{} {}", text.empty() ? "" : ", ", q.text(1), count);
      });
  std::string out;
  std::size_t n = 0;
  auto s =
      db.prepare("SELECT spec, source, fault_id FROM faults WHERE run_id = ? ORDER BY fault_id");
  if (!s)
    return fail(2, "'" + o.db + "' has no fault specs (recorded by an older timesim?): " +
                       s.error().message);
  s->bind(1, run_id);
  while (s->next()) {
    const auto it = ended.find(s->int64(2));
    const std::string impact =
        it == ended.end() ? "ended no connection"
                          : fmt::format("ended {} ({})", it->second.first, it->second.second);
    const std::string spec = s->text(0);
    if (spec.empty())  // a legacy DB migrated from before faults.spec (docs/schema.md)
      out += fmt::format("  # fault {}: no replayable spec recorded  # {}, {}\n", s->int64(2),
                         s->text(1), impact);
    else
      out += fmt::format("  - {}  # {}, {}\n", spec, s->text(1), impact);
    ++n;
  }
  fmt::print("# faults of run {} ({}, seed {}): {} fault(s)\n", run_id, scenario, seed, n);
  fmt::print("{}", n == 0 ? "faults: []\n" : "faults:\n" + out);
  return 0;
}

}  // namespace

Command add_faults_command(CLI::App& app) {
  auto opts = std::make_shared<FaultsOptions>();
  auto* cmd =
      app.add_subcommand("faults", "print a run's fault schedule as replayable faults: YAML");
  cmd->add_option("db", opts->db, "results DB")->required();
  cmd->add_option("--run", opts->run, "run id (default: the newest run)");
  return Command{cmd, [opts] { return print_faults(*opts); }};
}

}  // namespace ts::cli
