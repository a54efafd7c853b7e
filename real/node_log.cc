#include "real/node_log.h"

#include <cstring>
#include <ctime>
#include <fstream>
#include <regex>

namespace ts::real {
namespace {

std::string strip_ansi(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && !(s[i] >= '@' && s[i] <= '~'))
        ++i;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

// "2026-12-02T01:10:52.069574Z" (tracing's default, the harness) or "2026-12-02
// 01:31:33.025" (timed's own timer, UTC in the kit's namespace) -> ns since the epoch; -1
// when malformed.
std::int64_t parse_utc(std::string_view s) {
  std::tm tm{};
  int frac_digits = 0;
  long frac = 0;
  if (s.size() < 20 || s[4] != '-' || (s[10] != 'T' && s[10] != ' ')) return -1;
  auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
    return -1;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
      if (frac_digits < 9) frac = frac * 10 + (s[i] - '0'), ++frac_digits;
  for (; frac_digits < 9; ++frac_digits)
    frac *= 10;
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000'000 + frac;
}

struct Pattern {
  const char* needle;
  const char* kind;
};
// The real node's protocol-error lines (src/network/server.rs and the harness excerpt).
constexpr Pattern kPatterns[] = {
    {"sent message before handshake", "message_before_handshake"},
    {"invalid magic bytes", "bad_magic"},
    {"old protocol detected", "bad_magic"},
    {"unsupported protocol version", "bad_protocol_version"},
    {"Failed to parse message", "invalid_json"},
};

const std::regex& address_re() {
  static const std::regex re(R"((\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(:\d{1,5})?)");
  return re;
}

}  // namespace

LoggedError parse_log_line(std::string_view raw) {
  LoggedError e;
  const std::string line = strip_ansi(raw);
  const char* kind = nullptr;
  std::size_t at = std::string::npos;
  for (const auto& p : kPatterns)
    if ((at = line.find(p.needle)) != std::string::npos) {
      kind = p.kind;
      break;
    }
  if (!kind) return e;
  e.wall_ns = parse_utc(line);
  if (e.wall_ns < 0) return e;
  // After the level word comes the message, possibly behind a "target: " (the harness).
  std::size_t from = std::string::npos;
  for (const char* level : {" ERROR ", " WARN ", " INFO ", " DEBUG ", " TRACE "})
    if (auto p = line.find(level); p != std::string::npos && p < at)
      from = std::min(from, p + std::strlen(level));
  if (from == std::string::npos) return e;
  if (auto t = line.find(": ", from);
      t != std::string::npos && t < at && line.find(' ', from) >= t)  // one word, then ':'
    from = t + 2;
  while (from < line.size() && !std::isalnum(static_cast<unsigned char>(line[from])))
    ++from;
  e.text = line.substr(from);
  while (!e.text.empty() && (e.text.back() == '\r' || e.text.back() == ' '))
    e.text.pop_back();
  std::smatch m;
  if (std::regex_search(e.text, m, address_re())) e.remote = m.str(0);
  e.kind = kind;
  return e;
}

Result<std::vector<LoggedError>> read_log_errors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read node log '" + path + "'"};
  std::vector<LoggedError> out;
  std::string line;
  while (std::getline(in, line)) {
    auto e = parse_log_line(line);
    if (!e.kind.empty()) out.push_back(std::move(e));
  }
  return out;
}

std::string normalize_addresses(std::string_view text) {
  return std::regex_replace(std::string(text), address_re(), "ADDR");
}

}  // namespace ts::real
