#include "node_core/message.h"

#include <array>

namespace ts::node {
namespace {

constexpr std::array<std::string_view, kMsgKindCount> kNames = {
    "Handshake",
    "Ack",
    "Ping",
    "Pong",
    "GetPeers",
    "PeersResponse",
    "MasternodeAnnouncement",
    "GetMasternodes",
    "MasternodesResponse",
    "HeartbeatBroadcast",
    "GetBlockHeight",
    "BlockHeightResponse",
    "GetBlocks",
    "BlocksResponse",
    "BlockAnnouncement",
    "BlockProposal",
    "BlockVote",
    "BlockCommit",
    "TransactionBroadcast",
    "TransactionVote",
};

}  // namespace

std::string_view msg_kind_name(MsgKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kNames.size() ? kNames[i] : std::string_view("?");
}

bool msg_kind_from_name(std::string_view name, MsgKind& out) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      out = static_cast<MsgKind>(i);
      return true;
    }
  }
  return false;
}

MsgKind kind_of(const Message& m) {
  struct Visitor {
    MsgKind operator()(const Handshake&) const { return MsgKind::kHandshake; }
    MsgKind operator()(const Ack&) const { return MsgKind::kAck; }
    MsgKind operator()(const Ping&) const { return MsgKind::kPing; }
    MsgKind operator()(const Pong&) const { return MsgKind::kPong; }
    MsgKind operator()(const GetPeers&) const { return MsgKind::kGetPeers; }
    MsgKind operator()(const PeersResponse&) const { return MsgKind::kPeersResponse; }
    MsgKind operator()(const Heartbeat&) const { return MsgKind::kHeartbeat; }
    MsgKind operator()(const GetBlockHeight&) const { return MsgKind::kGetBlockHeight; }
    MsgKind operator()(const BlockHeightResponse&) const { return MsgKind::kBlockHeightResponse; }
    MsgKind operator()(const GetBlocks&) const { return MsgKind::kGetBlocks; }
    MsgKind operator()(const BlocksResponse&) const { return MsgKind::kBlocksResponse; }
    MsgKind operator()(const BlockProposal&) const { return MsgKind::kBlockProposal; }
    MsgKind operator()(const BlockVote&) const { return MsgKind::kBlockVote; }
    MsgKind operator()(const BlockCommit&) const { return MsgKind::kBlockCommit; }
    MsgKind operator()(const TransactionBroadcast&) const { return MsgKind::kTransactionBroadcast; }
    MsgKind operator()(const TransactionVote&) const { return MsgKind::kTransactionVote; }
    MsgKind operator()(const Opaque& o) const { return o.kind; }
  };
  return std::visit(Visitor{}, m);
}

}  // namespace ts::node
