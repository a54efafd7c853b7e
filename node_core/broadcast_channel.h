// BroadcastChannel: the listener's server broadcast channel (tokio broadcast, server.rs:58
// at ea701a4) as seen by its subscribers, one per listener (inbound) connection. Each
// subscriber's task takes a message from the channel and writes it to the connection's
// registered writer (server.rs:782-796). While that write is blocked - the socket accepts
// no more bytes - the task takes nothing, and what the channel sends meanwhile waits in
// the channel, here: held per subscriber, in order. When the socket accepts bytes again
// the subscriber either writes what it missed or, if more than `capacity` messages were
// sent while it waited, gets Lagged at its next recv and its loop ends (server.rs:797).
//
// Sockets are blocked and unblocked by the driver (WriteBlocked). Nothing is held and no
// memory is used while no socket is blocked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node_core/message.h"
#include "node_core/node_io.h"

namespace ts::node {

class BroadcastChannel {
 public:
  struct Held {  // one message a subscriber has not taken yet
    MsgKind kind;
    std::string bytes;
  };
  // What a subscriber does when its socket accepts bytes again.
  struct Resume {
    bool lagged = false;     // more than capacity were sent while it waited: the loop ends
    std::vector<Held> held;  // not lagged: what it now writes, oldest first
  };

  // The driver's word on socket `conn`: a write is blocked (true) or accepted (false).
  void set_blocked(ConnId conn, bool blocked);
  bool blocked(ConnId conn) const;
  // One channel message for subscriber `sub` whose socket is blocked: it waits. A
  // subscriber already past `capacity` (0: unbounded) keeps only the count.
  void hold(ConnId sub, MsgKind kind, const std::string& bytes, std::uint32_t capacity);
  // Subscribers with messages waiting, oldest subscription first.
  std::vector<ConnId> waiting() const;
  // Takes `sub`'s waiting messages (its socket accepts bytes again).
  Resume resume(ConnId sub);
  // Messages sent to `sub` since its socket blocked (0: none waiting).
  std::uint64_t missed(ConnId sub) const;
  // The connection ended: its socket and its subscription go.
  void forget(ConnId conn);

 private:
  struct Sub {
    ConnId id = 0;
    std::uint64_t missed = 0;  // channel messages sent since it stopped taking them
    bool lagged = false;       // missed > capacity: held was freed
    std::vector<Held> held;
  };
  std::vector<ConnId> blocked_;  // sockets whose writes are blocked
  std::vector<Sub> subs_;        // subscribers with messages waiting
};

}  // namespace ts::node
