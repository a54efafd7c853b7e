// Runs the real timesim binary: exit codes, one-line errors, no DB on bad input.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Runs `timesim <args>` in `cwd`; stdout and stderr captured to files.
Outcome run_cli(const std::string& args, const fs::path& cwd) {
  const fs::path out = cwd / "stdout.txt", err = cwd / "stderr.txt";
  const std::string cmd = "cd '" + cwd.string() + "' && '" + TIMESIM_BINARY + "' " + args + " >'" +
                          out.string() + "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

fs::path temp_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("timesim_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

bool any_db(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".db") return true;
  return false;
}

}  // namespace

TEST_CASE("cli: bad scenarios exit 2 with file:line:col and write no DB") {
  const auto dir = temp_dir("bad");
  const std::string nodes =
      "nodes:\n  - {ip: 1.1.1.1, version: pre-fix}\n  - {ip: 2.2.2.2, version: post-fix}\n";
  struct Case {
    const char* file;
    std::string text;
    const char* where;
  };
  const Case cases[] = {
      {"unknown_key.yaml", "speed: 3\n" + nodes, "unknown_key.yaml:1:1: unknown key 'speed'"},
      {"wrong_type.yaml", "seed: abc\n" + nodes, "wrong_type.yaml:1:7: 'seed'"},
      {"dup_ip.yaml",
       "nodes:\n  - {ip: 1.1.1.1, version: pre-fix}\n  - {ip: 1.1.1.1, version: pre-fix}\n",
       "dup_ip.yaml:3:10: duplicate node ip"},
      {"dup_name.yaml",
       "nodes:\n  - {name: x, ip: 1.1.1.1, version: pre-fix}\n  - {name: x, ip: 1.1.1.2, version: "
       "pre-fix}\n",
       "dup_name.yaml:3:12: duplicate node name 'x'"},
      {"unknown_version.yaml", "nodes:\n  - {ip: 1.1.1.1, version: fixed}\n",
       "unknown_version.yaml:2:28: unknown version 'fixed'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    write(dir / c.file, c.text);
    auto o = run_cli(c.file, dir);
    CAPTURE(o.err);
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(std::string("timesim: ") + c.where) == 0);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);  // one readable line
    CHECK(o.out.empty());
    CHECK_FALSE(fs::exists(dir / "results"));
    CHECK_FALSE(any_db(dir));
  }
  auto o = run_cli("missing.yaml", dir);
  CHECK(o.exit_code == 2);
  CHECK(o.err == "timesim: missing.yaml: cannot open scenario file\n");
  o = run_cli(std::string(TIMESIM_SOURCE_DIR) + "/topologies/six_nodes.yaml --duration 10", dir);
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("--duration") != std::string::npos);
  o = run_cli("--no-such-flag", dir);
  CHECK(o.exit_code == 2);
  CHECK_FALSE(any_db(dir));
  fs::remove_all(dir);
}

TEST_CASE("cli: a run prints the tables, appends to an existing DB, and is deterministic") {
  const auto dir = temp_dir("run");
  const std::string scenario = std::string(TIMESIM_SOURCE_DIR) + "/topologies/six_nodes.yaml";
  auto a = run_cli("'" + scenario + "' --duration 10m --db a.db", dir);
  CAPTURE(a.err);
  REQUIRE(a.exit_code == 0);
  CHECK(a.out.find("links: 8 cycling, 7 stable, 0 flapping, 0 down") != std::string::npos);
  CHECK(a.out.find("Per version pair") != std::string::npos);
  CHECK(a.out.find("results: a.db (run 1)") != std::string::npos);
  auto b = run_cli("run '" + scenario + "' --duration 10m --db a.db", dir);
  REQUIRE(b.exit_code == 0);
  CHECK(b.out.find("results: a.db (run 2)") != std::string::npos);
  auto strip = [](std::string s) {  // the run number differs, nothing else does
    for (const char* k : {"run 1", "run 2"})
      for (auto p = s.find(k); p != std::string::npos; p = s.find(k))
        s.replace(p, 5, "run N");
    return s;
  };
  CHECK(strip(a.out) == strip(b.out));
  // The default DB path is under results/runs/.
  auto c = run_cli("'" + scenario + "' --duration 1m --seed 5 -q", dir);
  REQUIRE(c.exit_code == 0);
  CHECK(fs::exists(dir / "results/runs/six_nodes-seed5.db"));
  fs::remove_all(dir);
}
