// The TIME Coin P2P messages the model speaks. On the wire each is one line of JSON in
// serde's externally tagged form: {"Name":{fields}} or the bare string "Name" for a
// variant without fields (see node_core/codec.h for the exact bytes).
//
// Variants the node model interprets get a struct with their real fields. Variants that
// exist in the real protocol but that this model does not interpret yet travel as
// `Opaque` (their JSON payload is kept verbatim), so decoding them is not an error.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ts::node {

enum class MsgKind : std::uint8_t {
  kHandshake,
  kAck,
  kPing,
  kPong,
  kGetPeers,
  kPeersResponse,
  kMasternodeAnnouncement,
  kGetMasternodes,
  kMasternodesResponse,
  kHeartbeat,
  kGetBlockHeight,
  kBlockHeightResponse,
  kGetBlocks,
  kBlocksResponse,
  kBlockAnnouncement,
  kBlockProposal,
  kBlockVote,
  kBlockCommit,
  kTransactionBroadcast,
  kTransactionVote,
  kCount,
};

inline constexpr std::size_t kMsgKindCount = static_cast<std::size_t>(MsgKind::kCount);

// The variant's name on the wire, e.g. "Ping".
std::string_view msg_kind_name(MsgKind kind);
// Inverse of msg_kind_name; false if `name` is not a variant of the protocol.
bool msg_kind_from_name(std::string_view name, MsgKind& out);

inline constexpr std::array<std::uint8_t, 4> kMagic = {'T', 'I', 'M', 'E'};
inline constexpr std::array<std::uint8_t, 4> kMainnetMagic = {0xC0, 0x1D, 0x7E, 0x4D};
inline constexpr std::uint32_t kProtocolVersion = 1;

struct Handshake {
  std::array<std::uint8_t, 4> magic = kMagic;
  std::uint32_t protocol_version = kProtocolVersion;
  std::string network;
};
struct Ack {
  std::string message_type;  // e.g. "Handshake"
};
struct Ping {
  std::uint64_t nonce = 0;
  std::int64_t timestamp = 0;  // unix seconds of the sender's clock
};
struct Pong {
  std::uint64_t nonce = 0;
  std::int64_t timestamp = 0;  // unix seconds of the sender's clock
};
struct GetPeers {};
struct PeersResponse {
  std::vector<std::string> peers;  // "ip:port"
};
// ---- consensus and sync -----------------------------------------------------------------
// The model's block: the header fields consensus and sync read. Hashes are 64-bit stand-ins
// for the real 32-byte SHA-256 values (docs/consensus.md); a block carries no transactions.
struct Block {
  std::uint64_t height = 0;
  std::uint64_t previous_hash = 0;
  std::int64_t timestamp = 0;  // the slot's wall-clock time, unix seconds
  std::string producer;        // the proposing masternode's address (IP)
  std::uint64_t hash = 0;      // block_hash(previous_hash, height, timestamp, producer, txids)
  std::vector<std::uint64_t> transactions;  // txids, ascending
  friend bool operator==(const Block&, const Block&) = default;
};
// HeartbeatBroadcast(SignedHeartbeat): a masternode says it is alive (every 60 s).
struct Heartbeat {
  std::string masternode_address;
  std::uint64_t sequence_number = 0;
  std::int64_t timestamp = 0;  // unix seconds of the sender's clock
};
struct GetBlockHeight {};
struct BlockHeightResponse {
  std::uint64_t height = 0;
};
struct GetBlocks {  // GetBlocks(start_height, end_height), inclusive
  std::uint64_t start = 0;
  std::uint64_t end = 0;
};
struct BlocksResponse {
  std::vector<Block> blocks;  // ascending heights, at most max_blocks_per_response
};
struct BlockProposal {
  Block block;
  std::string proposer;
  std::uint64_t round = 0;
};
struct BlockVote {
  std::uint64_t block_hash = 0;
  std::uint64_t height = 0;
  std::string voter;
  bool approve = true;
};
struct BlockCommit {
  std::uint64_t block_hash = 0;
  std::uint64_t height = 0;
  std::vector<std::string> signers;  // the voters whose approvals made the quorum
};

// TransactionBroadcast(Transaction): the model's transaction is its id and timestamp (no
// inputs or outputs; the real txid is a hash of the serialized transaction).
struct TransactionBroadcast {
  std::uint64_t txid = 0;
  std::int64_t timestamp = 0;
};
// TransactionVote(Vote): a masternode approves a transaction.
struct TransactionVote {
  std::uint64_t txid = 0;
  std::string voter;
  bool approve = true;
  std::int64_t timestamp = 0;
};

// A real protocol variant this model carries but does not interpret.
// `payload_json` is the JSON of the variant's content, empty for a unit variant.
struct Opaque {
  MsgKind kind = MsgKind::kHeartbeat;
  std::string payload_json;
};

using Message =
    std::variant<Handshake, Ack, Ping, Pong, GetPeers, PeersResponse, Heartbeat, GetBlockHeight,
                 BlockHeightResponse, GetBlocks, BlocksResponse, BlockProposal, BlockVote,
                 BlockCommit, TransactionBroadcast, TransactionVote, Opaque>;

MsgKind kind_of(const Message& m);

}  // namespace ts::node
