#include "hunt/property.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>

#include "common/quote.h"
#include "hunt/run_facts.h"
#include "store/results_db.h"

namespace ts::hunt {
namespace {

constexpr std::string_view kSqlPrefix = "sql:";

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" for the nearest fact within 3 edits, else where the list is.
std::string suggestion(std::string_view name) {
  std::string_view best;
  std::size_t best_d = 4;
  for (const auto& f : fact_defs())
    if (const auto d = edit_distance(name, f.name); d < best_d) {
      best_d = d;
      best = f.name;
    }
  if (!best.empty()) return " (did you mean '" + std::string(best) + "'?)";
  return " (the run facts are listed in docs/hunt.md)";
}

// A character for a message, quoted ('x'; control characters escaped).
std::string one_char(char c) {
  std::string out = "'";
  out += escape_control(std::string(1, c));
  out += '\'';
  return out;
}

// Recursive-descent parser over one property's text; `pos` is the next byte.
class Parser {
 public:
  Parser(std::string_view text, const Locate& where) : t_(text), where_(where) {}

  Result<Property> parse() {
    Property p;
    p.text = std::string(t_);
    auto lhs = sum();
    if (!lhs) return lhs.error();
    p.lhs = std::move(*lhs);
    auto op = compare_op();
    if (!op) return op.error();
    p.op = *op;
    auto rhs = sum();
    if (!rhs) return rhs.error();
    p.rhs = std::move(*rhs);
    skip_space();
    if (pos_ < t_.size()) return error("unexpected " + one_char(t_[pos_]) + " after the property");
    return p;
  }

 private:
  Error error(const std::string& msg) const { return Error{where_(pos_) + msg}; }
  void skip_space() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t'))
      ++pos_;
  }
  bool at(char c) const { return pos_ < t_.size() && t_[pos_] == c; }

  Result<std::vector<Term>> sum() {
    std::vector<Term> terms;
    skip_space();
    bool negative = false;
    if (at('-')) {
      negative = true;
      ++pos_;
    }
    while (true) {
      auto term = atom();
      if (!term) return term.error();
      term->negative = negative;
      terms.push_back(*term);
      skip_space();
      if (!at('+') && !at('-')) return terms;
      negative = at('-');
      ++pos_;
    }
  }

  Result<Term> atom() {
    skip_space();
    Term term;
    const std::size_t start = pos_;
    if (pos_ >= t_.size()) return error("expected a number or a name, got the end of the property");
    const char c = t_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (pos_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[pos_])))
        ++pos_;
      if (at('.')) {
        ++pos_;
        if (pos_ >= t_.size() || !std::isdigit(static_cast<unsigned char>(t_[pos_])))
          return error("expected digits after the decimal point");
        while (pos_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[pos_])))
          ++pos_;
      }
      term.number = std::stod(std::string(t_.substr(start, pos_ - start)));
      return term;
    }
    if (std::islower(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < t_.size() &&
             (std::islower(static_cast<unsigned char>(t_[pos_])) ||
              std::isdigit(static_cast<unsigned char>(t_[pos_])) || t_[pos_] == '_'))
        ++pos_;
      const auto name = t_.substr(start, pos_ - start);
      term.fact = fact_index(name);
      if (term.fact < 0) {
        pos_ = start;
        return error("unknown name " + quote(name) + suggestion(name));
      }
      return term;
    }
    return error("expected a number or a name, got " + one_char(t_[pos_]));
  }

  Result<CompareOp> compare_op() {
    skip_space();
    auto take = [&](std::string_view op) {
      if (t_.substr(pos_, op.size()) != op) return false;
      pos_ += op.size();
      return true;
    };
    if (take("<=")) return CompareOp::kLe;
    if (take(">=")) return CompareOp::kGe;
    if (take("==")) return CompareOp::kEq;
    if (take("!=")) return CompareOp::kNe;
    if (take("<")) return CompareOp::kLt;
    if (take(">")) return CompareOp::kGt;
    if (at('=')) return error("'=' is not an operator: compare with '=='");
    if (pos_ >= t_.size())
      return error("expected a comparison (<=, <, >=, >, ==, !=), got the end of the property");
    return error("expected a comparison (<=, <, >=, >, ==, !=), got " + one_char(t_[pos_]));
  }

  std::string_view t_;
  const Locate& where_;
  std::size_t pos_ = 0;
};

// Compiles `sql` against an empty in-memory results DB (the current schema).
Result<bool> check_sql(std::string_view sql, std::size_t offset, const Locate& where) {
  auto db = sql::Db::open(":memory:");
  if (!db) return Error{"cannot build the results schema: " + db.error().message};
  if (auto ok = db->exec(sim::results_db_schema()); !ok)
    return Error{"cannot build the results schema: " + ok.error().message};
  std::size_t begin = 0;
  while (begin < sql.size() && sql[begin] == ' ')
    ++begin;
  if (begin == sql.size()) return Error{where(offset) + "sql: needs a query"};
  std::string_view tail;
  auto s = sql::Statement::prepare(db->get(), sql, 0, &tail);
  if (!s) {
    const int at = sqlite3_error_offset(db->get());
    return Error{where(offset + (at >= 0 ? static_cast<std::size_t>(at) : begin)) +
                 "sql: " + s.error().message};
  }
  if (const auto p = tail.find_first_not_of(" ;\n\t"); p != std::string_view::npos)
    return Error{where(offset + sql.size() - tail.size() + p) + "sql: one query only"};
  if (!s->readonly()) return Error{where(offset + begin) + "sql: must only read"};
  if (s->column_count() == 0) return Error{where(offset + begin) + "sql: must be a query"};
  return true;
}

double sum_of(const std::vector<Term>& terms, const RunFacts& facts, bool& applicable) {
  double v = 0;
  for (const auto& t : terms) {
    double x = t.number;
    if (t.fact >= 0) {
      const auto& f = facts[static_cast<std::size_t>(t.fact)];
      if (!f) applicable = false;
      x = f.value_or(0);
    }
    v += t.negative ? -x : x;
  }
  return v;
}

std::string sum_text(const std::vector<Term>& terms) {
  std::string out;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto& t = terms[i];
    if (i > 0)
      out += t.negative ? " - " : " + ";
    else if (t.negative)
      out += "-";
    out += t.fact >= 0 ? std::string(fact_defs()[static_cast<std::size_t>(t.fact)].name)
                       : fmt::format("{}", t.number);
  }
  return out;
}

bool compare(double a, CompareOp op, double b) {
  switch (op) {
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kGe:
      return a >= b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kEq:
      return a == b;
    case CompareOp::kNe:
      return a != b;
  }
  return false;
}

std::string_view negated_op(CompareOp op) {
  switch (op) {
    case CompareOp::kLe:
      return ">";
    case CompareOp::kLt:
      return ">=";
    case CompareOp::kGe:
      return "<";
    case CompareOp::kGt:
      return "<=";
    case CompareOp::kEq:
      return "!=";
    case CompareOp::kNe:
      return "==";
  }
  return "?";
}

Result<Verdict> evaluate_sql(const Property& p, sqlite3* db, std::int64_t run_id) {
  auto s = sql::Statement::prepare(db, p.sql);
  if (!s) return Error{"property " + quote(p.text) + ": " + s.error().message};
  if (s->parameter_count() >= 1) s->bind(1, run_id);
  Verdict v;
  const auto row_ready = s->step();
  if (!row_ready) return Error{"property " + quote(p.text) + ": " + row_ready.error().message};
  if (!*row_ready) return v;
  v.violated = true;
  std::string row;
  for (int i = 0; i < s->column_count(); ++i) {
    const char* text = s->c_text(i);
    row += fmt::format("{}{} = {}", i ? ", " : "", s->column_name(i), text ? text : "NULL");
  }
  v.detail = "first row: " + row;
  return v;
}

}  // namespace

Result<Property> parse_property(std::string_view text, const Locate& where) {
  std::size_t lead = 0;
  while (lead < text.size() && text[lead] == ' ')
    ++lead;
  if (lead == text.size()) return Error{where(0) + "empty property"};
  if (text.substr(lead, kSqlPrefix.size()) == kSqlPrefix) {
    const std::size_t at = lead + kSqlPrefix.size();
    if (auto ok = check_sql(text.substr(at), at, where); !ok) return ok.error();
    Property p;
    p.text = std::string(text);
    p.is_sql = true;
    p.sql = std::string(text.substr(at));
    return p;
  }
  return Parser(text, where).parse();
}

Result<std::vector<Property>> parse_scenario_properties(
    const std::string& path, const std::vector<sim::PropertySpec>& specs) {
  std::vector<Property> out;
  for (const auto& spec : specs) {
    auto p = parse_property(spec.text, [&](std::size_t offset) {
      return fmt::format("{}:{}:{}: property: ", path, spec.line,
                         spec.column + static_cast<int>(offset));
    });
    if (!p) return p.error();
    out.push_back(std::move(*p));
  }
  return out;
}

std::string property_slug(const Property& p) {
  if (p.is_sql) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : p.text)
      h = (h ^ c) * 1099511628211ULL;
    return fmt::format("sql-{:08x}", static_cast<std::uint32_t>(h));
  }
  std::string out;
  for (char c : p.text) {
    const bool keep =
        std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
    if (keep)
      out += c;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  if (out.size() > 40) out.resize(40);
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out.empty() ? "property" : out;
}

Result<Verdict> evaluate(const Property& p, sqlite3* db, std::int64_t run_id) {
  if (p.is_sql) return evaluate_sql(p, db, run_id);
  auto facts = run_facts(db, run_id);
  if (!facts) return facts.error();
  Verdict v;
  const double a = sum_of(p.lhs, *facts, v.applicable);
  const double b = sum_of(p.rhs, *facts, v.applicable);
  if (!v.applicable) {
    v.detail = "n/a (a fact it names does not apply to this run)";
    return v;
  }
  v.violated = !compare(a, p.op, b);
  if (v.violated)
    v.detail =
        fmt::format("{} = {} {} {} = {}", sum_text(p.lhs), a, negated_op(p.op), sum_text(p.rhs), b);
  return v;
}

}  // namespace ts::hunt
