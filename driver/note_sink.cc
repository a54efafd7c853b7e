#include "driver/note_sink.h"

#include <algorithm>

namespace ts::sim {

using node::NoteKind;

Result<bool> apply_note(const NoteContext& ctx, const node::Note& note) {
  ConnRecord* r = ctx.conn;
  switch (note.kind) {
    case NoteKind::kHandshakeAccepted:
      if (r) r->t_handshake = ctx.now;
      break;
    case NoteKind::kPingSent:
      if (r) {
        ++r->pings_sent;
        r->t_last_ping = ctx.now;
      }
      break;
    case NoteKind::kPongMatched:
      if (r) {
        ++r->pongs_matched;
        r->rtt_min = std::min(r->rtt_min, note.value);
        r->rtt_max = std::max(r->rtt_max, note.value);
        r->rtt_sum += note.value;
      }
      break;
    case NoteKind::kPongUnmatched:
      if (r) ++r->pongs_unmatched;
      break;
    case NoteKind::kPingMissed:
      if (r) ++r->pings_missed;
      break;
    case NoteKind::kPingAnswered:
      if (r && ctx.side == Side::kListener) ++r->pings_answered;
      break;
    case NoteKind::kMessageDropped:
      if (r) ++r->msgs_dropped;
      if (ctx.recorder && !note.text.empty())  // the build logs it (b5513be): a debug line
        return ctx.recorder->add_node_event(ctx.now, ctx.node, ctx.peer, "debug_log", note.text);
      break;
    case NoteKind::kProtocolError:
      if (r) ++r->protocol_errors;
      if (ctx.recorder)
        return ctx.recorder->add_protocol_error(
            ctx.now, ctx.node, ctx.peer, r ? r->conn_id : 0,
            node::protocol_error_kind_name(static_cast<node::ProtocolErrorKind>(note.value)),
            note.text, r);
      break;
    case NoteKind::kPeerGivenUp:
      if (ctx.recorder)
        return ctx.recorder->add_node_event(ctx.now, ctx.node, ctx.peer, "peer_given_up",
                                            "too many consecutive failed dials");
      break;
    case NoteKind::kPeerCooldown:
      if (ctx.recorder)
        return ctx.recorder->add_node_event(ctx.now, ctx.node, ctx.peer, "peer_cooldown",
                                            "adaptive reconnection cooldown after failed dials");
      break;
    case NoteKind::kDuplicateConnection:  // ConnPolicy::duplicate's verdict on a second one
      if (ctx.recorder)
        return ctx.recorder->add_node_event(
            ctx.now, ctx.node, ctx.peer, "duplicate_connection",
            node::duplicate_outcome_name(static_cast<node::DuplicateOutcome>(note.value)));
      break;
    case NoteKind::kHandshakeSent:
    case NoteKind::kMessageHandled:
      break;
  }
  return true;
}

}  // namespace ts::sim
