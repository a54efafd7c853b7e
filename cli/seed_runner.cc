#include "cli/seed_runner.h"

#include <filesystem>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "cli/command.h"

extern char** environ;

namespace ts::cli {
namespace {

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "timesim";
  buf[n] = '\0';
  return buf;
}

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

Result<pid_t> spawn(const std::string& exe, const SeedJob& j) {
  std::vector<std::string> args = {exe,    "run", j.scenario, "--seed", std::to_string(j.seed),
                                   "--db", j.db,  "-q"};
  if (!j.duration.empty()) args.insert(args.end(), {"--duration", j.duration});
  if (!j.all_version.empty()) args.insert(args.end(), {"--all-version", j.all_version});
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string log = j.db + ".log";
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return Error{"cannot start '" + exe + "': " + std::strerror(rc)};
  return pid;
}

}  // namespace

Result<bool> run_seed_jobs(const std::vector<SeedJob>& jobs, int parallel) {
  const std::string exe = self_exe();
  if (parallel < 1) parallel = 1;
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  std::string first_error;
  while (next < jobs.size() || !running.empty()) {
    while (first_error.empty() && !g_interrupted.load() && next < jobs.size() &&
           static_cast<int>(running.size()) < parallel) {
      auto pid = spawn(exe, jobs[next]);
      if (!pid) {
        first_error = pid.error().message;
        break;
      }
      running[*pid] = next++;
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      return Error{std::string("waitpid: ") + std::strerror(errno)};
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const SeedJob& j = jobs[it->second];
    running.erase(it);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && first_error.empty())
      first_error = j.scenario + " seed " + std::to_string(j.seed) + " failed (" +
                    (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                       : "signal " + std::to_string(WTERMSIG(status))) +
                    "): " + last_line(j.db + ".log");
  }
  if (!first_error.empty()) return Error{first_error};
  if (g_interrupted.load()) return Error{"interrupted"};
  return true;
}

Result<std::string> make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (!::mkdtemp(tmpl.data()))
    return Error{"cannot create a temporary directory: " + std::string(std::strerror(errno))};
  return tmpl;
}

RemoveOnExit::~RemoveOnExit() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace ts::cli
