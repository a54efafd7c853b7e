// ChainSink: turns nodes' ChainEvent outputs into `blocks`, `proposals` and `node_events`
// rows. Shared by every driver (sim::World, live::LiveWorld) so the rows mean the same in
// both modes. It remembers when each block was proposed, so a node's `blocks` row carries
// the producer's proposal time next to its own finalisation time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "node_core/node_io.h"
#include "store/recorder.h"

namespace ts::sim {

class ChainSink {
 public:
  // `ips[i]` is node i's address (producers are named by address on the wire).
  explicit ChainSink(const std::vector<std::string>& ips);

  // Records `ev` from `node` at `now`. `rec` may be null (nothing written).
  Result<bool> apply(Recorder* rec, std::uint32_t node, SimTime now, const node::ChainEvent& ev);

  std::uint64_t blocks_committed() const { return committed_; }  // distinct heights finalised

 private:
  std::map<std::string, std::uint32_t, std::less<>> node_of_ip_;
  std::map<std::uint64_t, SimTime> proposed_at_;   // block hash -> proposal time
  std::map<std::uint64_t, SimTime> submitted_at_;  // txid -> submission time
  std::uint64_t committed_ = 0;                    // highest height any node finalised
};

}  // namespace ts::sim
