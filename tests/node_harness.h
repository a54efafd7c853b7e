// NodeHarness: one Node driven by hand, for unit tests on its inputs and outputs. feed() hands
// the node one input at the given virtual time and keeps what it output; the counters read
// those outputs. Test files derive their own harness from it for their mechanism's helpers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "node_core/node.h"

namespace ts::test {

// A NodeConfig for `ip` that knows `peers` (its seed list); everything else at its default.
inline node::NodeConfig node_config(std::string ip, std::vector<std::string> peers = {}) {
  node::NodeConfig c;
  c.ip = std::move(ip);
  for (auto& p : peers)
    c.peers.push_back(node::PeerAddr{std::move(p)});
  return c;
}

struct NodeHarness {
  node::VersionProfile profile;  // a copy: the node keeps a pointer, callers pass temporaries
  node::Node node;
  std::vector<node::Output> out;  // the outputs of the last feed()

  NodeHarness(node::NodeConfig cfg, const node::VersionProfile& p, std::uint64_t seed = 1)
      : profile(p), node(std::move(cfg), profile, seed) {}

  std::vector<node::Output>& feed(SimTime now, const node::Input& in) {
    out.clear();
    node.handle(now, in);
    node.drain(out);
    return out;
  }
  template <typename T>
  std::vector<T> all() const {
    std::vector<T> r;
    for (const auto& o : out)
      if (auto* p = std::get_if<T>(&o)) r.push_back(*p);
    return r;
  }
  int notes(node::NoteKind k) const {
    int n = 0;
    for (const auto& note : all<node::Note>())
      n += note.kind == k;
    return n;
  }
  int errors(node::ProtocolErrorKind k) const {
    int n = 0;
    for (const auto& note : all<node::Note>())
      n += note.kind == node::NoteKind::kProtocolError && note.value == static_cast<int>(k);
    return n;
  }
  // The kinds of the messages sent on `conn`, in order.
  std::vector<node::MsgKind> sent_on(node::ConnId conn) const {
    std::vector<node::MsgKind> r;
    for (const auto& s : all<node::Send>())
      if (s.conn == conn) r.push_back(s.kind);
    return r;
  }
};

}  // namespace ts::test
