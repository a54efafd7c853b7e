#include "analysis/determinism.h"

#include <memory>
#include <string_view>

#include "sim/world.h"
#include "store/recorder.h"
#include "store/sqlite.h"

namespace ts::sim {
namespace {

std::uint64_t fnv(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string_view event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::kNodeStart:
      return "node_start";
    case EventKind::kTimer:
      return "timer";
    case EventKind::kSynArrive:
      return "syn_arrive";
    case EventKind::kSynAckArrive:
      return "synack_arrive";
    case EventKind::kAckArrive:
      return "ack_arrive";
    case EventKind::kRefusedArrive:
      return "refused_arrive";
    case EventKind::kConnectTimeout:
      return "connect_timeout";
    case EventKind::kDeliver:
      return "deliver";
    case EventKind::kRstArrive:
      return "rst_arrive";
    case EventKind::kFaultStart:
      return "fault_start";
    case EventKind::kFaultEnd:
      return "fault_end";
    case EventKind::kRestart:
      return "restart";
    case EventKind::kSample:
      return "sample";
    case EventKind::kSubmitTx:
      return "submit_tx";
    case EventKind::kRetransmitAbort:
      return "retransmit_abort";
    case EventKind::kSynRetransmit:
      return "syn_retransmit";
    case EventKind::kKeepalive:
      return "keepalive";
    case EventKind::kWriteBlocked:
      return "write_blocked";
  }
  return "?";
}

TraceSide side_of(const World::TracedEvent& t) {
  TraceSide s;
  s.present = true;
  s.at = t.event.at;
  s.node = t.node;
  s.kind = std::string(event_kind_name(t.event.kind));
  s.operands = "a=" + std::to_string(t.event.a) + " b=" + std::to_string(t.event.b) +
               " c=" + std::to_string(t.event.c) + " d=" + std::to_string(t.event.d);
  return s;
}

bool same_event(const World::TracedEvent& x, const World::TracedEvent& y) {
  return x.event.at == y.event.at && x.event.kind == y.event.kind && x.event.a == y.event.a &&
         x.event.b == y.event.b && x.event.c == y.event.c && x.event.d == y.event.d &&
         x.node == y.node;
}

struct OneRun {
  std::uint64_t fingerprint = 0;
  std::uint64_t digest = 0;
  std::uint64_t events = 0;
  std::vector<TableDigest> tables;
};

Result<OneRun> run_once(const Scenario& sc, const DeterminismOptions& opt, unsigned run_no,
                        std::vector<World::TracedEvent>* trace) {
  auto rec = Recorder::open(":memory:");
  if (!rec) return rec.error();
  RunInfo info;
  info.scenario_name = sc.name;
  info.scenario_path = sc.path;
  info.scenario_hash = sc.text_hash;
  info.seed = opt.seed;
  info.duration_ns = opt.duration_ns;
  if (auto id = (*rec)->begin_run(info); !id) return id.error();
  World world(sc, opt.seed, rec->get());
  if (opt.plant_in_run == run_no) world.set_test_nondeterminism(opt.plant_nth_segment);
  world.set_trace(trace);
  auto stats = world.run(opt.duration_ns);
  if (!stats) return stats.error();
  RunTotals totals;
  totals.events = stats->events;
  totals.end_ns = stats->end_ns;
  totals.fingerprint = stats->fingerprint;
  if (auto ok = (*rec)->end_run("complete", totals); !ok) return ok.error();
  OneRun r;
  r.fingerprint = stats->fingerprint;
  r.events = stats->events;
  auto d = db_digest((*rec)->db(), &r.tables);
  if (!d) return d.error();
  r.digest = *d;
  return r;
}

}  // namespace

Result<std::uint64_t> db_digest(void* sqlite_db, std::vector<TableDigest>* tables) {
  auto* db = static_cast<sqlite3*>(sqlite_db);
  std::vector<std::string> names;
  {
    auto s = sql::Statement::prepare(db,
                                     "SELECT name FROM sqlite_master WHERE type='table' AND name "
                                     "NOT LIKE 'sqlite_%' ORDER BY name");
    if (!s) return Error{"digest: " + s.error().message};
    while (s->next())
      names.emplace_back(s->text(0));
  }
  std::uint64_t all = 0xcbf29ce484222325ull;
  for (const auto& name : names) {
    const std::string sql = "SELECT * FROM \"" + name + "\" ORDER BY rowid";
    auto s = sql::Statement::prepare(db, sql);
    if (!s) return Error{"digest: " + s.error().message};
    std::uint64_t h = fnv(0xcbf29ce484222325ull, name);
    const int cols = s->column_count();
    while (s->next()) {
      for (int i = 0; i < cols; ++i) {
        if (std::string_view(s->column_name(i)).starts_with("wall")) continue;
        const char* t = s->c_text(i);
        h = fnv(h, t ? std::string_view(t) : "\x01NULL");
        h = fnv(h, "\x1f");
      }
      h = fnv(h, "\x1e");
    }
    if (tables) tables->push_back(TableDigest{name, h});
    all = fnv(all, std::string_view(reinterpret_cast<const char*>(&h), sizeof h));
  }
  return all;
}

Result<DeterminismResult> check_determinism(const Scenario& sc, const DeterminismOptions& opt) {
  DeterminismResult out;
  std::vector<OneRun> runs;
  for (unsigned k = 1; k <= opt.runs; ++k) {
    auto r = run_once(sc, opt, k, nullptr);
    if (!r) return r.error();
    out.fingerprints.push_back(r->fingerprint);
    out.db_digests.push_back(r->digest);
    runs.push_back(std::move(*r));
  }
  out.events = runs.empty() ? 0 : runs[0].events;
  unsigned differing = 0;
  for (unsigned k = 1; k < runs.size() && differing == 0; ++k)
    if (runs[k].fingerprint != runs[0].fingerprint || runs[k].digest != runs[0].digest)
      differing = k + 1;
  if (differing == 0) return out;
  out.same = false;
  if (runs[differing - 1].fingerprint == runs[0].fingerprint) {
    // Same events, different rows: name the first table that differs.
    const auto& a = runs[0].tables;
    const auto& b = runs[differing - 1].tables;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
      if (a[i].table != b[i].table || a[i].digest != b[i].digest) {
        out.db_only = a[i].table;
        break;
      }
    if (out.db_only.empty()) out.db_only = "(table list)";
    return out;
  }
  std::vector<World::TracedEvent> ta, tb;
  if (auto r = run_once(sc, opt, 1, &ta); !r) return r.error();
  if (auto r = run_once(sc, opt, differing, &tb); !r) return r.error();
  Divergence d;
  d.run_a = 1;
  d.run_b = differing;
  std::size_t i = 0;
  while (i < ta.size() && i < tb.size() && same_event(ta[i], tb[i]))
    ++i;
  d.index = i;
  if (i < ta.size()) d.a = side_of(ta[i]);
  if (i < tb.size()) d.b = side_of(tb[i]);
  out.first = d;
  return out;
}

}  // namespace ts::sim
