#include "driver/output_router.h"

#include "driver/note_sink.h"

namespace ts::sim {

OutputRouter::OutputRouter(Recorder* recorder, const std::vector<std::string>& ips, bool consensus)
    : rec_(recorder) {
  if (consensus) chain_sink_ = std::make_unique<ChainSink>(ips);
}

void OutputRouter::set_ips(const std::vector<std::string>& ips) {
  if (chain_sink_) chain_sink_ = std::make_unique<ChainSink>(ips);
}

std::optional<std::uint32_t> OutputRouter::peer_index(const node::Note& note) {
  if (note.kind != node::NoteKind::kPeerGivenUp && note.kind != node::NoteKind::kPeerCooldown)
    return std::nullopt;
  return static_cast<std::uint32_t>(note.value);
}

Result<bool> OutputRouter::note(std::uint32_t node, SimTime now, const node::Note& note,
                                const ConnView& at) {
  NoteContext ctx;
  ctx.recorder = rec_;
  ctx.node = node;
  ctx.now = now;
  ctx.conn = at.rec;
  ctx.side = at.side;
  ctx.peer = at.peer;
  if (note.kind == node::NoteKind::kProtocolError) {
    ++protocol_errors_;
    if (on_protocol_error) on_protocol_error(node, note.text);
  }
  return apply_note(ctx, note);
}

Result<bool> OutputRouter::chain(std::uint32_t node, SimTime now, const node::ChainEvent& ev) {
  if (!chain_sink_) return true;
  return chain_sink_->apply(rec_, node, now, ev);
}

Result<bool> OutputRouter::ban(std::uint32_t node, SimTime now, const node::Ban& ban,
                               const ConnRecord* conn, std::int64_t banned_peer) {
  if (!rec_) return true;
  return rec_->add_ban(now, node, banned_peer, ban.ip, conn ? conn->conn_id : 0, ban.violations,
                       ban.duration_ns, ban.reason);
}

}  // namespace ts::sim
