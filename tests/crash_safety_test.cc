// Crash-safe results: a run stopped by SIGINT or SIGTERM is marked `interrupted` and keeps
// what it recorded; a run killed with SIGKILL leaves a DB that opens, checks clean and
// takes the next run. Real subprocesses of the timesim binary, real signals.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "run_cli.h"
#include "test_util.h"

extern char** environ;

namespace ts {
namespace {

// Starts `timesim args...` with stdout/stderr discarded; returns its pid.
pid_t spawn_timesim(const std::vector<std::string>& args) {
  std::vector<std::string> all = {TIMESIM_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// Opens `path` read-only and returns the first column of `sql` (-1 on any error).
std::int64_t query(const std::string& path, const std::string& sql, std::string* text = nullptr) {
  auto db = sql::Db::open(path, SQLITE_OPEN_READONLY);
  if (!db) return -1;
  sqlite3_busy_timeout(db->get(), 5000);
  auto s = db->prepare(sql);
  if (!s || !s->next()) return -1;
  if (text && !s->is_null(0)) *text = s->text(0);
  return s->int64(0);
}

// Waits until the running process has committed some connection rows, then sends `sig`.
int interrupt_midrun(const std::string& db, int sig) {
  const pid_t pid = spawn_timesim({"run", test::source_path("topologies/k_out_1000.yaml"),
                                   "--duration", "24h", "--db", db, "-q"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         query(db, "SELECT count(*) FROM connections") < 10000)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(query(db, "SELECT count(*) FROM connections") >= 10000);
  REQUIRE(kill(pid, sig) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

}  // namespace

TEST_CASE("crash safety: SIGINT and SIGTERM mid-run keep the rows and mark the run interrupted") {
  for (int sig : {SIGINT, SIGTERM}) {
    CAPTURE(sig);
    const auto dir = test::fresh_dir("crash_sig" + std::to_string(sig));
    const std::string db = (dir / "r.db").string();
    const int status = interrupt_midrun(db, sig);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    std::string text;
    query(db, "SELECT status FROM runs", &text);
    CHECK(text == "interrupted");
    query(db, "PRAGMA integrity_check", &text);
    CHECK(text == "ok");
    CHECK(query(db, "SELECT count(*) FROM connections") >= 10000);
    // The run ended where it stopped, well short of 24 h, and every kept row is complete.
    const auto end = query(db, "SELECT end_ns FROM runs");
    CHECK(end > 0);
    CHECK(end < 24 * kHour);
    CHECK(query(db, "SELECT count(*) FROM connections WHERE close_reason IS NULL") == 0);
    // A finished DB is a single file.
    CHECK_FALSE(std::filesystem::exists(db + "-wal"));
  }
}

TEST_CASE("crash safety: SIGKILL mid-run leaves a DB that opens, checks clean and is reusable") {
  const auto dir = test::fresh_dir("crash_kill");
  const std::string db = (dir / "r.db").string();
  const int status = interrupt_midrun(db, SIGKILL);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  std::string text;
  query(db, "PRAGMA integrity_check", &text);
  CHECK(text == "ok");
  query(db, "SELECT status FROM runs", &text);
  CHECK(text == "running");  // it never ended: readers can tell
  CHECK(query(db, "SELECT count(*) FROM connections") >= 10000);
  // The next run appends to it (after SQLite recovers the write-ahead log).
  auto o = test::timesim("run '" + test::source_path("topologies/six_nodes.yaml") +
                             "' --duration 5m -q --db '" + db + "'",
                         dir);
  CHECK(o.exit_code == 0);
  CHECK(o.out.find("(run 2)") != std::string::npos);
  CHECK(query(db, "SELECT count(*) FROM runs WHERE status = 'complete'") == 1);
  query(db, "PRAGMA integrity_check", &text);
  CHECK(text == "ok");
}

}  // namespace ts
