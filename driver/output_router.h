// OutputRouter: where a node's record-only outputs go, in both engines: Notes to the
// connection's ConnRecord and the results DB (driver/note_sink.h), ChainEvents to the
// consensus rows (driver/chain_sink.h), Bans to the bans table. The engine carries out the
// others (Send, Dial, Close, SetTimer) and tells the router what it knows of the connection
// an output names.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "driver/chain_sink.h"
#include "node_core/node_io.h"
#include "store/conn_record.h"
#include "store/recorder.h"

namespace ts::sim {

// The engine's view of the connection an output names (all unset: none, or unknown).
struct ConnView {
  ConnRecord* rec = nullptr;
  Side side = Side::kNone;  // the node's side of it
  std::int64_t peer = -1;   // the node at the other end; -1: none in the scenario
};

class OutputRouter {
 public:
  // `recorder` may be null (nothing written). `ips[i]`: node i's address as producers are
  // named on the wire; `consensus` false: chain events are dropped.
  OutputRouter(Recorder* recorder, const std::vector<std::string>& ips, bool consensus);

  // Mixed live runs: the nodes are named by these addresses (before the run).
  void set_ips(const std::vector<std::string>& ips);

  // The peer index a note names (peer given up, cooling down), for a note whose connection
  // the engine does not know: the engine resolves it to a node for ConnView::peer.
  static std::optional<std::uint32_t> peer_index(const node::Note& note);

  Result<bool> note(std::uint32_t node, SimTime now, const node::Note& note, const ConnView& at);
  Result<bool> chain(std::uint32_t node, SimTime now, const node::ChainEvent& ev);
  // `banned_peer`: the node behind the banned connection, -1 if none or outside.
  Result<bool> ban(std::uint32_t node, SimTime now, const node::Ban& ban, const ConnRecord* conn,
                   std::int64_t banned_peer);

  std::uint64_t protocol_errors() const { return protocol_errors_; }
  // Called for every protocol-error line a node logs (node index, the line's text).
  std::function<void(std::uint32_t, const std::string&)> on_protocol_error;

 private:
  Recorder* rec_;
  std::unique_ptr<ChainSink> chain_sink_;  // null when consensus is off
  std::uint64_t protocol_errors_ = 0;
};

}  // namespace ts::sim
