// `timesim report RESULTS.db -o report.html`: writes the self-contained HTML report of a
// results DB (analysis/html_report.h). The DB is opened read-only; the report is written
// through a temporary file, and only over a file that is a report timesim wrote.
#include <fmt/core.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "analysis/html_report.h"
#include "cli/command.h"
#include "cli/output_path.h"
#include "common/atomic_file.h"
#include "store/results_db.h"

namespace ts::cli {
namespace {

struct ReportOptions {
  std::string db;
  std::string out;
};

int run_report(const ReportOptions& o) {
  // ---- validate: the DB is a timesim results DB, the output a file report may replace
  if (!std::filesystem::is_regular_file(o.db)) return fail(2, "no such results DB: " + o.db);
  if (auto ok = check_output_path(o.out, {o.db}, OutputKind::kHtmlReport); !ok)
    return fail(2, "-o: " + ok.error().message);
  auto db = sim::open_results_db_for_reading(o.db);
  if (!db) return fail(2, db.error().message);
  auto html = analysis::render_html_report(db->get(), o.db);
  if (!html) return fail(2, "'" + o.db + "': " + html.error().message);
  // ---- write: stdout, or a temporary file renamed over the output
  if (o.out == "-") {
    std::fwrite(html->data(), 1, html->size(), stdout);
    return 0;  // a failed write to stdout is reported by main()
  }
  auto file = AtomicFile::create(o.out);
  if (!file) return fail(1, file.error().message);
  if (std::fwrite(html->data(), 1, html->size(), (*file)->file()) != html->size())
    return fail(1, "cannot write '" + o.out + "': " + std::strerror(errno));
  if (auto ok = (*file)->commit(); !ok) return fail(1, ok.error().message);
  fmt::print("report: {} ({} bytes)\n", o.out, html->size());
  return 0;
}

}  // namespace

Command add_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "write a self-contained HTML report of a results DB");
  cmd->add_option("db", o->db, "results DB (from run, or compare --db)")->required();
  cmd->add_option("-o,--out", o->out,
                  "output HTML file ('-': stdout); an existing file is replaced only if it is a "
                  "timesim report")
      ->required();
  return Command{cmd, [o] { return run_report(*o); }};
}

}  // namespace ts::cli
