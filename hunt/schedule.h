// A candidate for shrinking: which of the base scenario's nodes run, which faults happen
// (explicitly, chaos off), for how long; and its rendering as a standalone scenario file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "faults/fault.h"
#include "scenario/scenario.h"

namespace ts::hunt {

struct Schedule {
  std::vector<std::uint32_t> nodes;  // indices into the base scenario's nodes, ascending
  std::vector<sim::Fault> faults;    // their node indices are the base scenario's
  Duration duration_ns = 0;
};

// `fault` with its targets restricted to `keep` (a base node index -> kept or not). None
// when a target set it needs becomes empty: a partition with fewer than two non-empty
// groups, a link fault with an empty side, a node fault with no node left.
std::optional<sim::Fault> restrict_fault(const sim::Fault& fault, const std::vector<bool>& keep);

// The base scenario: its YAML without `faults:`, `upgrades:`, `chaos:` and `properties:`
// (the schedule replaces them), and its parsed form.
class ScenarioWriter {
 public:
  // `text` is the scenario file's text, `path` its name for messages.
  static Result<ScenarioWriter> make(const std::string& text, const std::string& path);

  const sim::Scenario& base() const { return base_; }
  // Whether the nodes are a `nodes:` list (so a candidate may leave some out).
  bool nodes_listed() const { return nodes_listed_; }

  // The scenario file for `s`: `header` (each line becomes a `# ` comment), then the base
  // with `seed`, `name`, `duration`, the kept nodes, the faults (their exact specs) and the
  // properties. Faults whose targets leave the kept nodes are dropped (restrict_fault).
  std::string render(const Schedule& s, std::uint64_t seed, const std::string& name,
                     const std::vector<std::string>& properties,
                     const std::string& header = "") const;

 private:
  sim::Scenario base_;
  std::string base_yaml_;               // emitted without the replaced keys and without `nodes:`
  std::vector<std::string> node_yaml_;  // each `nodes:` entry, emitted as a flow mapping
  bool nodes_listed_ = false;
};

// The fault schedule of a recorded run (its `faults` rows' specs, in fault_id order) as
// Faults of `writer`'s base scenario. Errors: a row without a replayable spec, a spec the
// base scenario cannot parse.
Result<std::vector<sim::Fault>> faults_of_run(const ScenarioWriter& writer, const std::string& db,
                                              std::int64_t run_id);

}  // namespace ts::hunt
