// Runs the real timesim binary for CLI-level tests: exit code and captured output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ts::test {

struct CliOutcome {
  int exit_code = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs `timesim <args>` in `cwd` (a shell command line: quote as needed).
inline CliOutcome timesim(const std::string& args, const std::filesystem::path& cwd) {
  const auto out = cwd / "stdout.txt", err = cwd / "stderr.txt";
  const std::string cmd = "cd '" + cwd.string() + "' && '" + TIMESIM_BINARY + "' " + args + " >'" +
                          out.string() + "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  CliOutcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

// A fresh, empty directory for one test.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() /
                 ("timesim_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// True if `name` is on PATH. TIMESIM_TEST_HIDE_TOOLS (comma-separated names) hides tools,
// so the skip path of a test that needs one can itself be tested (tests/CMakeLists:
// skip_is_visible).
inline bool tool_hidden(const std::string& name) {
  const char* hidden = std::getenv("TIMESIM_TEST_HIDE_TOOLS");
  return hidden && (std::string(",") + hidden + ",").find("," + name + ",") != std::string::npos;
}
inline bool have_program(const std::string& name) {
  if (tool_hidden(name)) return false;
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace ts::test
