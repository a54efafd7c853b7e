// Runs every row of docs/errors.md: each bad input must exit 2 with one `timesim: ...` line
// on stderr that contains the documented message, and must write nothing. The table is the
// single list of cases, so the docs and the tests cannot drift apart.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "run_cli.h"
#include "test_util.h"

namespace ts {
namespace {

namespace fs = std::filesystem;

struct Row {
  int number = 0;
  std::string input, command, message;
};

std::vector<Row> rows_of_docs() {
  std::ifstream in(test::source_path("docs/errors.md"));
  REQUIRE(in);
  const std::regex row(R"(^\| (\d+) \| (.+?) \| `(.+?)` \| `(.+?)` \|$)");
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, row)) rows.push_back(Row{std::stoi(m[1]), m[2], m[3], m[4]});
  }
  return rows;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string six_with(const std::string& from, const std::string& to, const std::string& append) {
  std::string text = test::slurp(test::source_path("topologies/six_nodes.yaml"));
  if (!from.empty()) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  return text + append;
}

std::string laughs(const std::string& indent_first) {
  std::string s;
  s += indent_first + "&l0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    s += indent_first + "&l" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k)
      s += (k ? ", *l" : "*l") + std::to_string(i - 1);
    s += "]\n";
  }
  return s;
}

void make_fixtures(const fs::path& dir) {
  write(dir / "empty.yaml", "");
  std::string bin;
  for (int i = 0; i < 256; ++i)
    bin.push_back(static_cast<char>(i));
  write(dir / "binary.yaml", bin);
  {
    std::string b = laughs("");
    for (int i = 0; i < 10; ++i)  // top-level keys a..j holding the levels
      b.replace(b.find("&l" + std::to_string(i)), 0, std::string(1, char('a' + i)) + ": ");
    write(dir / "bomb.yaml", b);
  }
  write(dir / "deep_flow.yaml", "nodes: " + std::string(100000, '[') + std::string(100000, ']'));
  {
    std::string d = "nodes:\n";
    for (int i = 1; i < 3000; ++i)
      d += std::string(2 * static_cast<std::size_t>(i), ' ') + "-\n";
    write(dir / "deep_block.yaml", d);
  }
  write(dir / "big.yaml", std::string(17u << 20, '#'));
  fs::create_directory(dir / "adir");
  test::exec_file((dir / "newer.db").string(), "CREATE TABLE t(x); PRAGMA user_version = 99;");
  write(dir / "notdb.db", "this is not a database\n");
  for (const auto& [name, sql] :
       {std::pair<const char*, const char*>{"foreign.db",
                                            "CREATE TABLE contacts(name TEXT); INSERT INTO "
                                            "contacts VALUES ('ada'); PRAGMA user_version = 2;"},
        {"otherapp.db", "CREATE TABLE t(x); PRAGMA application_id = 305419896;"}})
    test::exec_file((dir / name).string(), sql);
  write(dir / "side.db-journal", "my notes\n");  // not SQLite's journal
  fs::create_symlink("notdb.db", dir / "link.db");
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  write(dir / "six.yaml", six_with("", "", ""));
  write(dir / "six_bomb.yaml", "nodes:\n" + laughs("  - "));
  write(dir / "six_broken.yaml", six_with("seed: 1", "seed: [1", ""));
  write(dir / "six_badprop.yaml", six_with("", "", "properties:\n  - forked_heights = 0\n"));
  write(dir / "six_badkey.yaml", six_with("seed: 1", "sede: 1", ""));
  write(dir / "six_wlnotlist.yaml", six_with("", "", "whitelist: 1.2.3.4\n"));
  write(dir / "six_wlbadip.yaml",
        six_with("", "", "  - {ip: 1.2.3.9, version: post-fix, whitelist: [1.2.3]}\n"));
  write(dir / "six_dupname.yaml", six_with("", "",
                                           "  - {name: x, ip: 1.2.3.4, version: post-fix}\n"
                                           "  - {name: x, ip: 1.2.3.5, version: post-fix}\n"));
  write(dir / "six_dupip.yaml", six_with("", "", "  - {ip: 50.28.104.50, version: post-fix}\n"));
  write(dir / "six_badver.yaml", six_with("version: pre-fix", "version: v9", ""));
  write(dir / "six_badfault.yaml", six_with("", "", "faults:\n  - {kind: meteor, at: 1m}\n"));
  write(dir / "six_badtarget.yaml",
        six_with("", "",
                 "faults:\n  - {kind: partition, at: 10m, for: 5m, groups: [[9.9.9.9], "
                 "[50.28.104.50]]}\n"));
  write(dir / "six_badip.yaml", six_with("ip: 50.28.104.50,", "ip: 50.28.104.500,", ""));
  write(dir / "six_negdur.yaml", six_with("duration: 1h", "duration: -5m", ""));
  write(dir / "six_zerodur.yaml", six_with("duration: 1h", "duration: 0s", ""));
  write(dir / "six_hugedur.yaml", six_with("duration: 1h", "duration: 99999999999999d", ""));
  write(dir / "six_hugegen.yaml", "generate: {count: 100000000, versions: {post-fix: 100%}}\n");
  write(dir / "six_gennover.yaml", "generate: {count: 10, versions: {}}\n");
  write(dir / "six_genzero.yaml",
        "generate: {count: 10, versions: {post-fix: 0%, pre-fix: 100%}}\n");
  write(dir / "six_gensum.yaml",
        "generate: {count: 10, versions: {post-fix: 50%, pre-fix: 25%}}\n");
  write(dir / "six_chaos0.yaml", six_with("", "", "chaos: {rate: 0/h, kinds: [reset]}\n"));
  write(dir / "six_conskey.yaml", six_with("consensus: {", "consensus: {quorum: 3, ", ""));
  write(dir / "six_badname.yaml", six_with("name: six_nodes", "name: ../../etc/x", ""));
  write(dir / "six_ctlname.yaml", six_with("name: six_nodes", "name: \"a\\tb\"", ""));
  write(dir / "six_seed63.yaml", six_with("seed: 1", "seed: 9223372036854775808", ""));
  write(dir / "six_seed64.yaml", six_with("seed: 1", "seed: 18446744073709551616", ""));
  write(dir / "six_doc2.yaml", six_with("", "", "---\nseed: 2\n"));
  write(dir / "six_badregion.yaml",
        six_with("between: [us-mi, us-ny]", "between: [us-mi, us-nyc]", ""));
  write(dir / "six_chaoswin.yaml",
        six_with("", "", "chaos: {rate: 6/h, kinds: [reset], start: 30m, end: 10m}\n"));
  write(dir / "six_chaoslate.yaml",
        six_with("", "", "chaos: {rate: 6/h, kinds: [reset], start: 2h}\n"));
  write(dir / "six_chaosrate.yaml",
        six_with("", "", "chaos: {rate: 999999999/h, kinds: [reset]}\n"));
  write(dir / "six_chaos500k.yaml", six_with("", "", "chaos: {rate: 500000/h, kinds: [reset]}\n"));
  write(dir / "mesh50k.yaml", "generate: {count: 50000, versions: {post-fix: 100%}}\n");
  REQUIRE(::mkfifo((dir / "fifo.yaml").c_str(), 0600) == 0);
  write(dir / "six_noseed.yaml", six_with("seed: 1", "seed:", ""));
  write(dir / "six_later.yaml",
        six_with("version: pre-fix", "version: hypothetical-full-outbound", ""));
  write(dir / "six_longver.yaml",
        six_with("version: pre-fix", "version: " + std::string(3'000'000, 'v'), ""));
  // `versions:` blocks (docs/scenario.md), appended to six.yaml.
  for (const auto& [name, versions] : std::initializer_list<std::pair<const char*, const char*>>{
           {"six_v_badkey.yaml", R"({my-fix: {base: post-fix, pingg: {interval: 1s}}})"},
           {"six_v_group.yaml", R"({my-fix: {base: post-fix, ping: 10s}})"},
           {"six_v_type.yaml", R"({my-fix: {base: post-fix, ping: {interval: [1s]}}})"},
           {"six_v_zero.yaml", R"({my-fix: {base: post-fix, ping: {interval: 0s}}})"},
           {"six_v_neg.yaml", R"({my-fix: {base: post-fix, reconnect: {max: -5s}}})"},
           {"six_v_huge.yaml", R"({my-fix: {base: post-fix, ping: {timeout: 400d}}})"},
           {"six_v_count0.yaml", R"({my-fix: {base: post-fix, ping: {max_missed: 0}}})"},
           {"six_v_bool.yaml", R"({my-fix: {base: post-fix, handshake: {first: yes}}})"},
           {"six_v_bytes.yaml", R"({my-fix: {base: post-fix, max_line: 2XB}})"},
           {"six_v_nobase.yaml", R"({my-fix: {ping: {interval: 1s}}})"},
           {"six_v_badbase.yaml", R"({my-fix: {base: post-fixx}})"},
           {"six_v_cycle.yaml", R"({x: {base: y}, y: {base: x}})"},
           {"six_v_builtin.yaml", R"({post-fix: {base: pre-fix}})"},
           {"six_v_twice.yaml", R"({my-fix: {base: post-fix}, my-fix: {base: pre-fix}})"},
           {"six_v_settwice.yaml",
            R"({my-fix: {base: post-fix, ping: {interval: 1s}, ping.interval: 2s}})"},
           {"six_v_backoff.yaml",
            R"({my-fix: {base: post-fix, reconnect: {initial: 2m, max: 1m}}})"},
           {"six_v_name.yaml", R"({"my fix": {base: post-fix}})"},
           {"six_v_list.yaml", R"([my-fix])"},
       })
    write(dir / name, six_with("", "", std::string("versions: ") + versions + "\n"));
  {  // 1,001 profiles, each based on the next: a chain the loader must not recurse down
    std::string chain = "versions:\n";
    for (int i = 0; i <= 1000; ++i) {
      std::string base = "post-fix";
      if (i < 1000) base = 'p' + std::to_string(i + 1);
      chain.append("  p").append(std::to_string(i)).append(": {base: ").append(base).append("}\n");
    }
    write(dir / "six_v_many.yaml", six_with("", "", chain));
  }
}

// Every file under `dir` (recursively) with its contents, except the CLI runner's capture
// files.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name == "stdout.txt" || name == "stderr.txt") continue;
    files[fs::relative(e.path(), dir).string()] =
        e.is_symlink()        ? "<symlink to " + fs::read_symlink(e.path()).string() + ">"
        : e.is_regular_file() ? test::slurp(e.path())
        : e.is_fifo()         ? std::string("<fifo>")
                              : std::string("<dir>");
  }
  return files;
}

}  // namespace

TEST_CASE("bad input: every row of docs/errors.md - exit 2, one line, nothing written") {
  const auto rows = rows_of_docs();
  REQUIRE(rows.size() == 145);
  REQUIRE(rows.size() == 145);
  REQUIRE(rows.size() == 145);
  for (std::size_t i = 0; i < rows.size(); ++i)
    CHECK(rows[i].number == static_cast<int>(i + 1));  // numbered in order, none skipped
  const auto dir = test::fresh_dir("bad_input");
  make_fixtures(dir);
  const auto before = snapshot(dir);
  for (const auto& r : rows) {
    CAPTURE(r.number);
    CAPTURE(r.input);
    CAPTURE(r.command);
    const auto o = test::timesim(r.command, dir);
    CAPTURE(o.err);
    CHECK(o.exit_code == 2);
    CHECK(o.err.rfind("timesim: ", 0) == 0);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    CHECK(o.err.back() == '\n');
    CHECK(o.err.size() <= 400);  // short: user text is quoted cut (common/quote.h)
    CHECK(o.err.find(r.message) != std::string::npos);
    CHECK(snapshot(dir) == before);  // no DB created, nothing changed
  }
}

}  // namespace ts
