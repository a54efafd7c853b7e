// Runs scenarios over many seeds as child processes of this same binary (`timesim run ...
// --seed N --db PATH -q`), at most `jobs` at a time. Processes rather than threads: each
// run is isolated, and a crash in one seed cannot take the others down.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace ts::cli {

struct SeedJob {
  std::string scenario;  // path to the scenario YAML
  std::uint64_t seed = 0;
  std::string db;           // results DB the child writes (must not exist)
  std::string duration;     // "" = the scenario's
  std::string all_version;  // "" = the scenario's versions
};

// Runs every job; the child's stdout and stderr go to `<db>.log`. Returns an Error naming
// the first failed job and the last line of its log. Stops launching new jobs once one
// failed or `g_interrupted` is set.
Result<bool> run_seed_jobs(const std::vector<SeedJob>& jobs, int parallel);

// A fresh private directory under $TMPDIR (or /tmp); removed by the caller.
Result<std::string> make_temp_dir(const std::string& prefix);

// Removes a directory tree when it goes out of scope.
struct RemoveOnExit {
  std::string dir;
  ~RemoveOnExit();
};

}  // namespace ts::cli
