// Multi-seed commands and signals: a SIGINT to `timesim sweep`/`compare` reaches the running
// children, the seeds that finished are kept in the output DB, the temporary directory is
// removed; a SIGKILLed parent takes its children down (PR_SET_PDEATHSIG); an interrupted
// `merge` leaves a valid DB. Real subprocesses of the timesim binary, real signals.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "run_cli.h"
#include "test_util.h"

namespace ts {
namespace {

namespace fs = std::filesystem;

// Starts `timesim args...` with TMPDIR=`tmp`, stdout to /dev/null, stderr to `err`.
pid_t start(const std::vector<std::string>& args, const fs::path& tmp, const fs::path& err) {
  std::vector<std::string> all = {TIMESIM_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string tmp_s = tmp.string(), err_s = err.string();
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setenv("TMPDIR", tmp_s.c_str(), 1);
    const int out = open("/dev/null", O_WRONLY);
    const int e = open(err_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(e, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// The live children of `pid` (from /proc/PID/task/PID/children).
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> kids;
  for (pid_t k; in >> k;)
    kids.push_back(k);
  return kids;
}

// A process that exists and is not a zombie.
bool alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::size_t files_under(const fs::path& dir, const std::string& suffix) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    n += it->path().string().size() >= suffix.size() &&
         it->path().string().compare(it->path().string().size() - suffix.size(), suffix.size(),
                                     suffix) == 0;
  return n;
}

// Waits (up to 60 s) until the runner started `logs` children (one log file each) under
// `tmp`; with --jobs 2, three logs mean at least one seed finished.
void wait_for_logs(const fs::path& tmp, std::size_t logs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && files_under(tmp, ".db.log") < logs)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(files_under(tmp, ".db.log") >= logs);
}

std::int64_t count_runs(const std::string& path, std::string* integrity = nullptr) {
  std::int64_t n = -1;
  auto db = sql::Db::open(path, SQLITE_OPEN_READONLY);
  if (!db) return n;
  if (auto s = db->prepare("SELECT count(*) FROM runs WHERE status = 'complete'"); s && s->next())
    n = s->int64(0);
  if (integrity) {
    if (auto s = db->prepare("PRAGMA integrity_check"); s && s->next()) *integrity = s->text(0);
  }
  return n;
}

const std::string kSlowSeed = "12h";  // six_nodes: about 2 s of wall time per seed

}  // namespace

TEST_CASE("multi-seed signals: SIGINT reaches the children, keeps the finished seeds, cleans up") {
  const std::string six = test::source_path("topologies/six_nodes.yaml");
  for (const std::string cmd : {"sweep", "compare"}) {
    CAPTURE(cmd);
    const auto dir = test::fresh_dir("seed_sigint_" + cmd);
    const auto tmp = dir / "tmp";
    fs::create_directories(tmp);
    const std::string db = (dir / "out.db").string();
    std::vector<std::string> args = {cmd, six};
    if (cmd == "compare") args.push_back(six);
    args.insert(args.end(),
                {"--seeds", "1..20", "--jobs", "2", "--duration", kSlowSeed, "--db", db});
    const pid_t pid = start(args, tmp, dir / "err.txt");
    wait_for_logs(tmp, 3);
    const auto kids = children_of(pid);
    REQUIRE(!kids.empty());
    REQUIRE(kill(pid, SIGINT) == 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    const std::string err = test::slurp(dir / "err.txt");
    CHECK(err.find("interrupted (") != std::string::npos);
    CHECK(err.find("seeds finished); their runs are in") != std::string::npos);
    for (pid_t k : kids)
      CHECK_FALSE(alive(k));   // the children stopped with the parent
    CHECK(fs::is_empty(tmp));  // the temporary directory is gone
    std::string integrity;
    CHECK(count_runs(db, &integrity) >= 1);  // the finished seeds are kept
    CHECK(integrity == "ok");
  }
}

TEST_CASE("multi-seed signals: SIGINT is forwarded, so long seeds stop at once") {
  const auto dir = test::fresh_dir("seed_forward");
  const auto tmp = dir / "tmp";
  fs::create_directories(tmp);
  // A 30-day seed of six_nodes takes about 2 minutes; the parent must not wait for it.
  const pid_t pid =
      start({"sweep", test::source_path("topologies/six_nodes.yaml"), "--seeds", "1..4", "--jobs",
             "2", "--duration", "30d", "--db", (dir / "out.db").string()},
            tmp, dir / "err.txt");
  wait_for_logs(tmp, 2);
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(kill(pid, SIGINT) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  const std::string err = test::slurp(dir / "err.txt");
  const std::string last = "\ntimesim: interrupted (0 of 4 seeds finished)\n";
  CHECK(err.size() > last.size());
  CHECK(err.compare(err.size() - last.size(), last.size(), last) == 0);
  CHECK(fs::is_empty(tmp));
  CHECK_FALSE(fs::exists(dir / "out.db"));
}

TEST_CASE("multi-seed signals: a SIGKILLed parent takes its children down (PDEATHSIG)") {
  const auto dir = test::fresh_dir("seed_sigkill");
  const auto tmp = dir / "tmp";
  fs::create_directories(tmp);
  const pid_t pid =
      start({"sweep", test::source_path("topologies/six_nodes.yaml"), "--seeds", "1..20", "--jobs",
             "2", "--duration", "30d", "--db", (dir / "out.db").string()},
            tmp, dir / "err.txt");
  wait_for_logs(tmp, 2);
  const auto kids = children_of(pid);
  REQUIRE(!kids.empty());
  REQUIRE(kill(pid, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto any_alive = [&] {
    for (pid_t k : kids)
      if (alive(k)) return true;
    return false;
  };
  while (std::chrono::steady_clock::now() < deadline && any_alive())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(any_alive());
  for (pid_t k : kids)  // do not leave a runaway child behind if the check failed
    if (alive(k)) kill(k, SIGKILL);
}

TEST_CASE("multi-seed signals: an interrupted merge stops between inputs and leaves a valid DB") {
  const auto dir = test::fresh_dir("merge_sigint");
  auto o = test::timesim("sweep '" + test::source_path("topologies/six_nodes.yaml") +
                             "' --seeds 1..3 --duration 1m --db in.db",
                         dir);
  REQUIRE(o.exit_code == 0);
  o = test::timesim("merge --test-raise-sigint-after 2 out.db in.db in.db in.db in.db", dir);
  CHECK(o.exit_code == 1);
  CHECK(o.err == "timesim: interrupted: folded 2 of 4 DB(s) into out.db\n");
  std::string integrity;
  CHECK(count_runs((dir / "out.db").string(), &integrity) == 6);
  CHECK(integrity == "ok");
}

}  // namespace ts
