#include "driver/chain_sink.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace ts::sim {

using node::ChainEventKind;

ChainSink::ChainSink(const std::vector<std::string>& ips) {
  for (std::uint32_t i = 0; i < ips.size(); ++i)
    node_of_ip_.emplace(ips[i], i);
}

Result<bool> ChainSink::apply(Recorder* rec, std::uint32_t node, SimTime now,
                              const node::ChainEvent& ev) {
  switch (ev.kind) {
    case ChainEventKind::kProposed:
      proposed_at_.emplace(ev.hash, now);
      if (rec) return rec->add_proposal(now, node, ev.height, ev.hash, ev.active);
      return true;
    case ChainEventKind::kCommitted:
    case ChainEventKind::kAdopted:
    case ChainEventKind::kSynced: {
      committed_ = std::max(committed_, ev.height);
      if (!rec) return true;
      BlockRow b;
      b.node = node;
      b.height = ev.height;
      b.hash = ev.hash;
      auto p = node_of_ip_.find(ev.producer);
      b.producer = p == node_of_ip_.end() ? -1 : static_cast<std::int64_t>(p->second);
      b.slot_unix_s = ev.slot_unix_s;
      b.how = ev.kind == ChainEventKind::kSynced    ? "sync"
              : ev.kind == ChainEventKind::kAdopted ? "commit"
                                                    : "consensus";
      auto t = proposed_at_.find(ev.hash);
      b.t_proposed_ns = t == proposed_at_.end() ? kNever : t->second;
      b.t_finalized_ns = now;
      b.votes = ev.votes;
      b.active = ev.active;
      b.transactions = ev.transactions;
      return rec->add_block(b);
    }
    case ChainEventKind::kTxSubmitted: {
      submitted_at_.emplace(ev.hash, now);
      if (!rec) return true;
      char id[17];
      std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(ev.hash));
      return rec->add_node_event(now, node, -1, node::chain_event_kind_name(ev.kind), id);
    }
    case ChainEventKind::kTxFinalized: {
      if (!rec) return true;
      auto t = submitted_at_.find(ev.hash);
      return rec->add_transaction(node, ev.hash, t == submitted_at_.end() ? kNever : t->second, now,
                                  ev.votes, ev.active);
    }
    case ChainEventKind::kSlotSkipped:
      if (!rec) return true;
      return rec->add_node_event(now, node, -1, node::chain_event_kind_name(ev.kind),
                                 "height " + std::to_string(ev.height) + ": " +
                                     std::to_string(ev.active) + " active masternodes");
    case ChainEventKind::kSyncStarted:
    case ChainEventKind::kSyncDone:
    case ChainEventKind::kSyncGaveUp:
      if (!rec) return true;
      return rec->add_node_event(now, node, -1, node::chain_event_kind_name(ev.kind),
                                 "height " + std::to_string(ev.height));
  }
  return true;
}

}  // namespace ts::sim
