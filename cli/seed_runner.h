// Runs scenarios over many seeds as child processes of this same binary (`timesim run ...
// --seed N --db PATH -q`), at most `jobs` at a time. Processes rather than threads: each
// run is isolated, and a crash in one seed cannot take the others down.
//
// Children are tied to this process: each is started with PR_SET_PDEATHSIG = SIGTERM (so a
// parent killed even with SIGKILL takes its runs down), and a SIGINT/SIGTERM received by the
// parent (cli::g_interrupted) is forwarded to every running child, which then stops and
// records its run as interrupted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/merge.h"
#include "common/result.h"

namespace ts::cli {

struct SeedJob {
  std::string scenario;  // path to the scenario YAML
  std::uint64_t seed = 0;
  std::string db;           // results DB the child writes (must not exist)
  std::string duration;     // "" = the scenario's
  std::string all_version;  // "" = the scenario's versions
};

// What happened to a batch of jobs.
struct SeedRunOutcome {
  std::vector<bool> finished;  // per job: the child exited 0 (its DB holds a complete run)
  std::vector<int> exit_code;  // per job: the child's exit code (-1: not run or killed)
  std::size_t finished_count = 0;
  bool interrupted = false;  // SIGINT/SIGTERM: forwarded to the children, no new launches
  std::string error;         // "" or the first failure: the job and the last line of its log
  bool ok() const { return !interrupted && error.empty(); }
  // One line for fail(1, ...) when !ok(): the cause and how many of the seeds finished.
  std::string summary() const;
};

// Runs every job; the child's stdout and stderr go to `<db>.log`. Stops launching new jobs
// once one failed (unless `keep_going`: then a failed job is only recorded in exit_code, and
// error stays "") or `g_interrupted` is set, and waits for the running ones (forwarding the
// signal to them on an interrupt) before returning.
SeedRunOutcome run_seed_jobs(const std::vector<SeedJob>& jobs, int parallel,
                             bool keep_going = false);

// The output DB of compare/sweep (`--db out`), checked before any seed runs: the checks of
// check_output_path (cli/output_path.h; `inputs` are the scenario files), and an existing
// non-empty `out` is refused unless `replace` (sweep --force), which replaces only a
// timesim results DB. Ok, or a message for fail(2, ...).
Result<bool> check_seed_db_output(const std::string& out, const std::vector<std::string>& inputs,
                                  bool replace);

// Folds the DBs of the jobs that finished (outcome.finished) into `out`, in job order.
Result<bool> fold_finished(const std::string& out, const std::vector<analysis::MergeInput>& inputs,
                           const SeedRunOutcome& outcome);

// A fresh private directory under $TMPDIR (or /tmp); removed by the caller.
Result<std::string> make_temp_dir(const std::string& prefix);

// Removes a directory tree when it goes out of scope.
struct RemoveOnExit {
  std::string dir;
  ~RemoveOnExit();
};

}  // namespace ts::cli
