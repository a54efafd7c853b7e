// Hunt properties: what must hold over a recorded run's rows (docs/hunt.md).
//
//   property := sum OP sum | "sql:" QUERY
//   sum      := ["-"] atom (("+" | "-") atom)*
//   atom     := NUMBER | NAME            NUMBER: digits ["." digits]; NAME: a run fact
//   OP       := "<=" | "<" | ">=" | ">" | "==" | "!="
//
// NAMEs are the facts of hunt/run_facts.h (the metric table and the run summary), e.g.
// `blocks_committed >= slots - 1`, `forked_heights == 0`, `cycling_links == 0`. A `sql:`
// property holds when its read-only QUERY returns no rows (`?1`, if used, is the run id).
// Parsing is strict: an unknown name, a stray character or a missing operator is an error
// naming the column where it is.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "scenario/scenario.h"

namespace ts::hunt {

enum class CompareOp { kLe, kLt, kGe, kGt, kEq, kNe };

// One signed term of a sum: a number, or a fact (fact_defs() index).
struct Term {
  bool negative = false;
  int fact = -1;  // -1: a number
  double number = 0;
};

struct Property {
  std::string text;  // as written
  bool is_sql = false;
  std::string sql;
  std::vector<Term> lhs, rhs;
  CompareOp op = CompareOp::kLe;
};

// Prefixes an error found at byte `offset` of the property text with where that is, e.g.
// "topologies/x.yaml:12:23: " or "--property #2, column 5: ".
using Locate = std::function<std::string(std::size_t offset)>;

// Parses `text`; the error message is ready for fail(2, ...). A sql: query is compiled
// against an empty results DB, so a syntax error or an unknown table fails here.
Result<Property> parse_property(std::string_view text, const Locate& where);

// The scenario's `properties:` (sim::PropertySpec), parsed; errors at file:line:col.
Result<std::vector<Property>> parse_scenario_properties(
    const std::string& path, const std::vector<sim::PropertySpec>& specs);

// A name for files: the property text with every run of other characters than [a-z0-9]
// turned into one '-', at most 40 bytes ("blocks-committed-slots-1"; a sql: property is
// "sql-" and 8 hex digits of its text's hash).
std::string property_slug(const Property& p);

struct Verdict {
  bool violated = false;
  bool applicable = true;  // false: a fact it uses is n/a for the run (then not violated)
  std::string detail;      // "blocks_committed = 7 < slots - 1 = 11", or the SQL's first row
};

// Evaluates `p` on run `run_id` of `db`.
Result<Verdict> evaluate(const Property& p, sqlite3* db, std::int64_t run_id);

}  // namespace ts::hunt
