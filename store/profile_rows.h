// The version profiles a run uses, and their `profiles` rows in the results DB
// (docs/schema.md): written once per run, before it starts, by the sim and live drivers.
#pragma once

#include <vector>

#include "common/result.h"
#include "node_core/version_profile.h"
#include "scenario/scenario.h"
#include "store/recorder.h"

namespace ts::sim {

// Every profile a node of `s` starts on or is upgraded to, once each, in first-use order
// (the nodes in order, then the upgrades in fault order).
std::vector<const node::VersionProfile*> used_profiles(const Scenario& s);

// Writes the rows of used_profiles(s).
Result<bool> record_profiles(Recorder& rec, const Scenario& s);

}  // namespace ts::sim
