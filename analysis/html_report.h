// The self-contained HTML report of a results DB (`timesim report RUN.db -o report.html`):
// runs, metrics, the per-link and per-version-pair tables, faults, and interactive charts
// (per-link connection timeline, lifetime CDF, churn over time; analysis/report_charts.h)
// with the Vega bundle inlined: no network,
// no external files. For a `timesim compare --db` DB the A/B comparison table and A-vs-B
// charts come first. Output depends only on the DB's rows (no wall clock).
#pragma once

#include <sqlite3.h>

#include <string>

#include "common/result.h"

namespace ts::analysis {

// `source_name` is shown as the report's source (e.g. the DB path).
Result<std::string> render_html_report(sqlite3* db, const std::string& source_name);

}  // namespace ts::analysis
