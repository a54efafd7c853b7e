#include "cli/seed_runner.h"

#include <filesystem>

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "cli/command.h"
#include "cli/output_path.h"
#include "store/results_db.h"

namespace ts::cli {
namespace {

namespace fs = std::filesystem;

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

// fork + exec rather than posix_spawn: the child must set PR_SET_PDEATHSIG before exec.
// Everything the child needs is prepared before fork(); between fork and exec it makes only
// async-signal-safe calls.
Result<pid_t> spawn(const std::string& exe, const SeedJob& j) {
  std::vector<std::string> args = {exe,    "run", j.scenario, "--seed", std::to_string(j.seed),
                                   "--db", j.db,  "-q"};
  if (!j.duration.empty()) args.insert(args.end(), {"--duration", j.duration});
  if (!j.all_version.empty()) args.insert(args.end(), {"--all-version", j.all_version});
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = j.db + ".log";
  const pid_t parent = ::getpid();
  // SIGINT/SIGTERM are blocked across fork(): one arriving meanwhile waits, in the parent for
  // its handler, in the child until it has the default disposition (it then ends the child),
  // instead of running the inherited handler, whose flag exec() would discard.
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
  const pid_t pid = ::fork();
  if (pid != 0) ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) return Error{std::string("cannot start a run: fork: ") + std::strerror(errno)};
  if (pid == 0) {
    // Default dispositions first: a SIGTERM caught by the inherited handler before exec()
    // would be lost. The parent may have died between fork() and prctl(): then getppid() is
    // no longer it.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGINT, &dfl, nullptr);
    ::sigaction(SIGTERM, &dfl, nullptr);
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  const int sig = WTERMSIG(status);
  const char* name = sigabbrev_np(sig);
  std::string text = "killed by signal " + std::to_string(sig);
  if (name) text += std::string(" (SIG") + name + ")";
  if (sig == SIGKILL) text += "; out of memory?";
  return text;
}

// Sends `sig` to every running child (once per interrupt).
void forward(const std::map<pid_t, std::size_t>& running, int sig) {
  for (const auto& [pid, job] : running)
    ::kill(pid, sig);
}

}  // namespace

std::string SeedRunOutcome::summary() const {
  const std::string cause = interrupted ? "interrupted" : error;
  return fmt::format("{} ({} of {} seeds finished)", cause, finished_count, finished.size());
}

SeedRunOutcome run_seed_jobs(const std::vector<SeedJob>& jobs, int parallel, bool keep_going) {
  const std::string exe = self_exe();
  if (parallel < 1) parallel = 1;
  SeedRunOutcome r;
  r.finished.assign(jobs.size(), false);
  r.exit_code.assign(jobs.size(), -1);
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  bool forwarded = false;
  while (next < jobs.size() || !running.empty()) {
    while (r.error.empty() && !g_interrupted.load() && next < jobs.size() &&
           static_cast<int>(running.size()) < parallel) {
      auto pid = spawn(exe, jobs[next]);
      if (!pid) {
        r.error = pid.error().message;
        break;
      }
      running[*pid] = next++;
    }
    if (running.empty()) break;
    if (g_interrupted.load() && !forwarded) {
      forward(running, g_interrupt_signal.load() ? g_interrupt_signal.load() : SIGTERM);
      forwarded = true;
    }
    int status = 0;
    // Polled (10 ms) rather than blocking: the SIGINT handler is installed with SA_RESTART,
    // so a blocking waitpid() would not return to forward an interrupt.
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid == 0 || (pid < 0 && errno == EINTR)) {
      ::usleep(10'000);
      continue;
    }
    if (pid < 0) {
      if (r.error.empty()) r.error = std::string("waitpid: ") + std::strerror(errno);
      break;
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const SeedJob& j = jobs[it->second];
    const std::size_t index = it->second;
    running.erase(it);
    if (WIFEXITED(status)) r.exit_code[index] = WEXITSTATUS(status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      r.finished[index] = true;
      ++r.finished_count;
    } else if (r.error.empty() && !g_interrupted.load() && !keep_going) {
      r.error = j.scenario + " seed " + std::to_string(j.seed) + " failed (" + exit_text(status) +
                "): " + last_line(j.db + ".log");
    }
  }
  r.interrupted = g_interrupted.load();
  return r;
}

Result<bool> check_seed_db_output(const std::string& out, const std::vector<std::string>& inputs,
                                  bool replace) {
  if (auto ok = check_output_path(out, inputs, OutputKind::kResultsDb); !ok) return ok;
  std::error_code ec;
  if (!fs::exists(out, ec) || fs::file_size(out, ec) == 0) return true;
  if (!replace)
    return Error{"'" + out +
                 "' exists; choose a new file (or remove it), or fold runs into it with "
                 "`timesim merge`"};
  // Replacing: only a file that is a timesim results DB (application_id, schema) may go.
  if (auto state = sim::inspect_results_db_file(out); !state) return state.error();
  return true;
}

Result<bool> fold_finished(const std::string& out, const std::vector<analysis::MergeInput>& inputs,
                           const SeedRunOutcome& outcome) {
  std::vector<analysis::MergeInput> done;
  for (std::size_t i = 0; i < inputs.size() && i < outcome.finished.size(); ++i)
    if (outcome.finished[i]) done.push_back(inputs[i]);
  if (done.empty()) return true;
  return analysis::merge_results(out, done);
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
