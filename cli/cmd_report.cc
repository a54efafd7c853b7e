// `timesim report RESULTS.db -o report.html`: writes the self-contained HTML report of a
// results DB (analysis/html_report.h). The DB is opened read-only.
#include <fmt/core.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "analysis/html_report.h"
#include "cli/command.h"

namespace ts::cli {
namespace {

struct ReportOptions {
  std::string db;
  std::string out;
};

int run_report(const ReportOptions& o) {
  if (!std::filesystem::is_regular_file(o.db)) return fail(2, "no such results DB: " + o.db);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(o.db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  if (rc != SQLITE_OK) return fail(2, "cannot open results DB '" + o.db + "'");
  auto html = analysis::render_html_report(raw, o.db);
  if (!html) return fail(2, "'" + o.db + "': " + html.error().message);
  const std::string tmp = o.out + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return fail(1, "cannot write '" + o.out + "'");
  const bool ok = std::fwrite(html->data(), 1, html->size(), f) == html->size();
  if (std::fclose(f) != 0 || !ok) return fail(1, "cannot write '" + o.out + "'");
  std::error_code ec;
  std::filesystem::rename(tmp, o.out, ec);
  if (ec) return fail(1, "cannot write '" + o.out + "': " + ec.message());
  fmt::print("report: {} ({} bytes)\n", o.out, html->size());
  return 0;
}

}  // namespace

Command add_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "write a self-contained HTML report of a results DB");
  cmd->add_option("db", o->db, "results DB (from run, or compare --db)")->required();
  cmd->add_option("-o,--out", o->out, "output HTML file")->required();
  return Command{cmd, [o] { return run_report(*o); }};
}

}  // namespace ts::cli
