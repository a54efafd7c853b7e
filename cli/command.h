// Subcommand registry for the timesim CLI. Each subcommand lives in its own
// cli/cmd_<name>.cc and registers itself in cli/main.cc with one line. A command's
// callback returns the process exit code: 0 ok, 1 run failed, 2 bad usage or input.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "common/quote.h"
#include "common/result.h"
#include "scenario/scenario.h"

namespace ts::cli {

// Set by SIGINT/SIGTERM; long-running commands poll it and finish cleanly.
extern std::atomic<bool> g_interrupted;
// The signal that set g_interrupted (SIGINT or SIGTERM; 0: none), forwarded to child runs.
extern std::atomic<int> g_interrupt_signal;

// Bounds on user-controlled sizes, checked while parsing, before anything runs.
inline constexpr int kMaxJobs = 256;                    // --jobs: processes/threads at a time
inline constexpr std::uint64_t kMaxSeeds = 10'000'000;  // seeds in one --seeds
inline constexpr unsigned kMaxDeterminismRuns = 100;    // check-determinism --runs

// --jobs J: 1 <= J <= kMaxJobs.
inline CLI::Validator jobs_range() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(v) < 1 || std::stoi(v) > kMaxJobs)
          return "must be a whole number from 1 to " + std::to_string(kMaxJobs) + " (got '" + v +
                 "')";
        return {};
      },
      "1.." + std::to_string(kMaxJobs));
}

// Prints "timesim: <msg>" on stderr and returns `code`.
int fail(int code, const std::string& msg);

// Loads the scenario at `path` and applies the --seed (when `seed_opt` was given) and
// --duration (when non-empty) overrides. The error message is ready for fail(2, ...).
Result<sim::Scenario> load_scenario_with_overrides(const std::string& path,
                                                   const CLI::Option* seed_opt, std::uint64_t seed,
                                                   const std::string& duration);

// A seed: a plain integer 0..sim::kMaxSeed, parsed by sim::parse_seed like the scenario's
// `seed:` (CLI11 alone would wrap "-3" into a huge uint64 and saturate 2^64 and above).
inline CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        if (auto s = sim::parse_seed(v); !s) return s.error().message + " (got " + quote(v) + ")";
        return {};
      },
      "UINT");
}

// Sets sc.duration_ns from a --duration value and checks what depends on it (the chaos
// window, sim::check_chaos_window). The error message is ready for fail(2, ...).
Result<bool> apply_duration(sim::Scenario& sc, const std::string& duration);

// --seeds in every command that runs many seeds (compare, sweep, check-determinism): "N"
// means the seeds 1..N, "A..B" the inclusive range A..B (A <= B); at most kMaxSeeds seeds.
// Returns {first, last}; the error message is ready for fail(2, ...).
Result<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text);

// The full command line, for the runs table.
extern std::string g_command_line;

// Registration: adds the subcommand to `app`; when it is selected, main() calls `run`
// (set by the registration function) and exits with its result.
using CommandFn = std::function<int()>;
struct Command {
  CLI::App* app = nullptr;
  CommandFn run;
};

Command add_run_command(CLI::App& app);
Command add_live_command(CLI::App& app);
Command add_equivalence_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_report_command(CLI::App& app);
Command add_regress_command(CLI::App& app);
Command add_faults_command(CLI::App& app);
Command add_check_determinism_command(CLI::App& app);
Command add_sweep_command(CLI::App& app);
Command add_merge_command(CLI::App& app);
Command add_versions_command(CLI::App& app);
Command add_realnode_plan_command(CLI::App& app);
Command add_import_capture_command(CLI::App& app);
Command add_fidelity_command(CLI::App& app);
Command add_hunt_command(CLI::App& app);

}  // namespace ts::cli
