// Applies a node's Note outputs to the connection's ConnRecord and the results DB. Shared
// by every driver (sim::World, live::LiveWorld) so the rows mean the same in both modes.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "node_core/node_io.h"
#include "store/conn_record.h"
#include "store/recorder.h"

namespace ts::sim {

struct NoteContext {
  Recorder* recorder = nullptr;  // may be null: nothing written
  ConnRecord* conn = nullptr;    // the note's connection, or null
  Side side = Side::kNone;       // the noting node's side of `conn`
  std::uint32_t node = 0;        // the noting node
  std::int64_t peer = -1;        // the other node: conn's other side, or the peer given up on
  SimTime now = 0;
};

// Updates counters and times on ctx.conn and writes protocol errors and node events.
// Returns the recorder's result (ok when nothing was written).
Result<bool> apply_note(const NoteContext& ctx, const node::Note& note);

}  // namespace ts::sim
