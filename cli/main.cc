// timesim command line: subcommand dispatch. The only place exceptions are caught.
//
// `timesim SCENARIO.yaml ...` is shorthand for `timesim run SCENARIO.yaml ...`.
// Exit codes: 0 ok; 1 run failed (I/O, DB, invariant, regression); 2 bad usage or input.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"

namespace ts::cli {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_interrupt_signal{0};
std::string g_command_line;

Result<sim::Scenario> load_scenario_with_overrides(const std::string& path,
                                                   const CLI::Option* seed_opt, std::uint64_t seed,
                                                   const std::string& duration) {
  auto sc = sim::load_scenario_file(path);
  if (!sc) return sc.error();
  if (seed_opt && seed_opt->count() > 0) sc->seed = seed;
  if (!duration.empty()) {
    if (auto ok = apply_duration(*sc, duration); !ok) return ok.error();
  }
  return sc;
}

Result<bool> apply_duration(sim::Scenario& sc, const std::string& duration) {
  auto d = sim::parse_duration(duration);
  if (!d) return Error{"--duration: " + d.error().message};
  sc.duration_ns = *d;
  if (auto ok = sim::check_chaos_window(sc.chaos, sc.duration_ns); !ok)
    return Error{"--duration " + quote(duration) + ": chaos: " + ok.error().message};
  return true;
}

Result<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text) {
  const auto dots = text.find("..");
  const Error malformed{
      "--seeds takes a count N (the seeds 1..N) or a range A..B of non-negative integers, e.g. "
      "20 or 1..100 (got " +
      quote(text) + ")"};
  // One number of the form: a digit string that is too large names the bound.
  std::optional<Error> bad;
  auto num = [&](const std::string& t, std::uint64_t& out) {
    auto v = sim::parse_seed(t);  // the one seed parser: 0..kMaxSeed
    if (v) out = *v;
    if (!v && !t.empty() && t.find_first_not_of("0123456789") == std::string::npos)
      bad = Error{"--seeds " + quote(text) + ": " + v.error().message};
    return v.ok();
  };
  std::uint64_t a = 1, b = 0;
  if (dots == std::string::npos) {
    if (!num(text, b)) return bad.value_or(malformed);
    if (b == 0) return Error{"--seeds 0: no seeds (a count must be at least 1)"};
  } else if (!num(text.substr(0, dots), a) || !num(text.substr(dots + 2), b)) {
    return bad.value_or(malformed);
  }
  if (b < a) return Error{"--seeds " + text + ": the range is empty (B < A)"};
  if (b - a >= kMaxSeeds) return Error{"--seeds " + text + ": more than 10,000,000 seeds"};
  return std::pair{a, b};
}

int fail(int code, const std::string& msg) {
  std::fflush(stdout);
  // Always one short line: control characters are escaped, and a message is cut at
  // kMaxMessageBytes in case user text reached it unquoted (quote() cuts each piece).
  constexpr std::size_t kMaxMessageBytes = 1000;
  const std::string line = shorten(escape_control(msg), kMaxMessageBytes);
  std::fprintf(stderr, "timesim: %s\n", line.c_str());
  return code;
}

}  // namespace ts::cli

namespace {
extern "C" void on_signal(int sig) {
  ts::cli::g_interrupt_signal.store(sig);
  ts::cli::g_interrupted.store(true);
}

// Fills closed standard descriptors with /dev/null, so that no file this process opens
// (a pcap, a report) can become fd 1 and receive what is printed. Returns false if
// stdout was closed.
bool occupy_closed_std_fds() {
  bool stdout_open = true;
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == STDOUT_FILENO) stdout_open = false;
    const int null_fd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null_fd >= 0 && null_fd != fd) {
      dup2(null_fd, fd);
      close(null_fd);
    }
  }
  return stdout_open;
}

// The command's exit code; 1 (with a message) if it succeeded but what it printed did not
// all reach stdout (closed, /dev/full, ...).
int check_stdout(int code, bool stdout_open) {
  const bool flushed = std::fflush(stdout) == 0;
  const int err = errno;
  if (code != 0) return code;  // the failure is already reported
  if (!stdout_open) return ts::cli::fail(1, "cannot write to stdout: it is closed");
  if (!flushed)
    return ts::cli::fail(1, std::string("cannot write to stdout: ") + std::strerror(err));
  if (std::ferror(stdout)) return ts::cli::fail(1, "cannot write to stdout: a write failed");
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace ts::cli;
  const bool stdout_open = occupy_closed_std_fds();
  CLI::App app{"timesim: deterministic multi-node testnet simulator for the TIME Coin P2P protocol",
               "timesim"};
  app.set_version_flag("--version", TIMESIM_VERSION);
  app.require_subcommand(1);
  std::vector<Command> commands;
  commands.push_back(add_run_command(app));
  commands.push_back(add_live_command(app));
  commands.push_back(add_equivalence_command(app));
  commands.push_back(add_compare_command(app));
  commands.push_back(add_report_command(app));
  commands.push_back(add_regress_command(app));
  commands.push_back(add_faults_command(app));
  commands.push_back(add_check_determinism_command(app));
  commands.push_back(add_sweep_command(app));
  commands.push_back(add_merge_command(app));
  commands.push_back(add_versions_command(app));
  commands.push_back(add_realnode_plan_command(app));
  commands.push_back(add_import_capture_command(app));
  commands.push_back(add_fidelity_command(app));
  commands.push_back(add_hunt_command(app));

  // Bare form: the first argument is a scenario file, not a subcommand or an option.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
    bool known = false;
    for (const auto& c : commands)
      known = known || c.app->check_name(args[0]);
    if (!known) args.insert(args.begin(), "run");
  }
  for (std::size_t i = 0; i < args.size(); ++i)
    g_command_line += (i ? " " : "") + args[i];
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(2, e.what());
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    for (const auto& c : commands)
      if (c.app->parsed()) return check_stdout(c.run(), stdout_open);
  } catch (const std::bad_alloc&) {
    // No allocation here: a second bad_alloc would end in std::terminate.
    static constexpr char kOutOfMemory[] =
        "timesim: out of memory (try fewer nodes, a shorter --duration, fewer seeds or --jobs)\n";
    std::fflush(stdout);
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kOutOfMemory, sizeof kOutOfMemory - 1);
    return check_stdout(1, stdout_open);
  } catch (const std::exception& e) {
    return check_stdout(fail(1, e.what()), stdout_open);
  }
  return fail(2, "no command given (try --help)");
}
