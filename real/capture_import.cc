#include "real/capture_import.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "node_core/codec.h"
#include "real/node_log.h"
#include "real/pcap_tcp.h"

namespace ts::real {
namespace {

// timed stamps its log lines to the millisecond (truncated): a line may carry a time up to
// 1 ms before the SYN it is about.
constexpr std::int64_t kLogStampSlackNs = 1'000'000;

struct Times {
  std::int64_t start = -1, stop = -1;
  std::string engine;
};

Result<Times> read_times(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read '" + path + "' (not a capture directory?)"};
  Times t;
  std::string key, value;
  while (in >> key >> value) {
    if (key == "start") t.start = std::stoll(value);
    if (key == "stop") t.stop = std::stoll(value);
    if (key == "engine") t.engine = value;
  }
  if (t.start < 0 || t.stop < t.start || (t.engine != "harness" && t.engine != "node"))
    return Error{"'" + path + "' needs lines 'start NS', 'stop NS' and 'engine harness|node'"};
  return t;
}

// The plan the capture was made with must be the scenario's plan.
Result<bool> check_plan_file(const RealPlan& plan, const std::string& path,
                             std::vector<bool>& model) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read '" + path + "'"};
  std::string line;
  std::size_t seen = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag, ip, lo, version, commit, engine;
    std::uint32_t idx = 0;
    if (!(ls >> tag) || tag != "node") continue;
    ls >> idx >> ip >> lo >> version >> commit >> engine;
    if (idx >= plan.nodes.size() || plan.nodes[idx].scenario_ip != ip ||
        plan.nodes[idx].loopback_ip != lo)
      return Error{"'" + path + "' was made for another scenario (node " + std::to_string(idx) +
                   " " + ip + " on " + lo + ")"};
    if (engine != "" && engine != "real" && engine != "model")
      return Error{"'" + path + "': node " + std::to_string(idx) + " is neither real nor model"};
    model[idx] = engine == "model";
    ++seen;
  }
  if (seen != plan.nodes.size())
    return Error{"'" + path + "' lists " + std::to_string(seen) + " nodes, the scenario has " +
                 std::to_string(plan.nodes.size())};
  return true;
}

// Message accounting of one connection from its two byte streams.
void count_messages(const TcpFlow& f, std::int64_t t0, sim::ConnRecord& r) {
  std::map<std::uint64_t, std::int64_t> pending;  // dialer ping nonce -> time written
  std::vector<std::pair<std::int64_t, std::string>> lines[2];
  for (int d = 0; d < 2; ++d) {
    node::LineBuffer buf;
    for (const auto& c : f.data[d]) {
      buf.append(c.bytes);
      while (auto line = buf.next_line())
        lines[d].emplace_back(c.t_ns - t0, std::string(*line));
    }
  }
  // Merge both directions by time so a Pong meets the Ping it answers.
  std::size_t i = 0, j = 0;
  while (i < lines[0].size() || j < lines[1].size()) {
    const int d =
        j >= lines[1].size() || (i < lines[0].size() && lines[0][i].first <= lines[1][j].first) ? 0
                                                                                                : 1;
    const auto& [t, text] = d == 0 ? lines[0][i++] : lines[1][j++];
    (d == 0 ? r.msgs_d2l : r.msgs_l2d) += 1;
    (d == 0 ? r.bytes_d2l : r.bytes_l2d) += text.size() + 1;
    auto m = node::decode_line(text);
    if (!m) continue;
    if (const auto* p = std::get_if<node::Ping>(&*m); p && d == 0) {
      ++r.pings_sent;
      r.t_last_ping = t;
      pending[p->nonce] = t;
    } else if (const auto* q = std::get_if<node::Pong>(&*m); q && d == 1) {
      ++r.pings_answered;
      auto it = pending.find(q->nonce);
      if (it == pending.end()) {
        ++r.pongs_unmatched;
        continue;
      }
      const std::int64_t rtt = t - it->second;
      pending.erase(it);
      ++r.pongs_matched;
      r.rtt_min = std::min(r.rtt_min, rtt);
      r.rtt_max = std::max(r.rtt_max, rtt);
      r.rtt_sum += rtt;
    } else if (std::holds_alternative<node::Ack>(*m) && d == 1 && r.t_handshake == kNever) {
      r.t_handshake = t;
    }
  }
}

node::CloseReason reason_of_kind(const std::string& kind) {
  if (kind == "message_before_handshake") return node::CloseReason::kMessageBeforeHandshake;
  if (kind == "bad_magic" || kind == "bad_protocol_version")
    return node::CloseReason::kBadHandshake;
  return node::CloseReason::kInvalidMessage;
}

Result<std::vector<CapturedError>> read_all_logs(const RealPlan& plan, const std::string& dir) {
  std::vector<CapturedError> out;
  for (const auto& n : plan.nodes) {
    const std::filesystem::path d = std::filesystem::path(dir) / n.loopback_ip;
    std::error_code ec;
    if (!std::filesystem::is_directory(d, ec)) continue;
    std::vector<std::filesystem::path> files;
    for (const auto& f : std::filesystem::directory_iterator(d, ec))
      if (f.path().extension() == ".log") files.push_back(f.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto errs = read_log_errors(f.string());
      if (!errs) return errs.error();
      for (auto& e : *errs)
        out.push_back({n.index, std::move(e)});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const CapturedError& a, const CapturedError& b) {
    return a.e.wall_ns < b.e.wall_ns;
  });
  return out;
}

// A node-to-node connection of the capture.
struct Conn {
  const TcpFlow* flow;
  std::uint32_t dialer, listener;
};

// Which connection each logged error belongs to: the one whose end the line names (the
// listener names the dialer's ip:port, the dialer the listener's address) with the latest
// SYN at or before the line.
struct ErrorMatch {
  std::vector<std::uint32_t> errors_of;  // per connection
  std::vector<std::string> first_kind;   // per connection
  std::vector<std::int64_t> conn_of;     // per error: index into conns, or -1
};
ErrorMatch match_errors(const std::vector<Conn>& conns, const std::vector<CapturedError>& errors) {
  ErrorMatch m{std::vector<std::uint32_t>(conns.size(), 0), std::vector<std::string>(conns.size()),
               std::vector<std::int64_t>(errors.size(), -1)};
  for (std::size_t k = 0; k < errors.size(); ++k) {
    const auto& [node, e] = errors[k];
    for (std::size_t c = conns.size(); c-- > 0;) {
      const TcpFlow& f = *conns[c].flow;
      const std::string client = f.client_ip + ":" + std::to_string(f.client_port);
      const std::string server = f.server_ip + ":" + std::to_string(f.server_port);
      const bool named =
          (node == conns[c].listener && e.remote == client) ||
          (node == conns[c].dialer && (e.remote == server || e.remote == f.server_ip));
      if (named && f.t_syn <= e.wall_ns + kLogStampSlackNs) {
        m.conn_of[k] = static_cast<std::int64_t>(c);
        ++m.errors_of[c];
        if (m.first_kind[c].empty()) m.first_kind[c] = e.kind;
        break;
      }
    }
  }
  return m;
}

// The connections row of one captured flow (times relative to t0).
sim::ConnRecord record_of(const sim::Scenario& sc, const Conn& conn, std::uint64_t conn_id,
                          std::int64_t t0, std::int64_t stop, const std::string& error_kind,
                          std::uint32_t errors) {
  const TcpFlow& f = *conn.flow;
  sim::ConnRecord r;
  r.conn_id = conn_id;
  r.dialer = conn.dialer;
  r.listener = conn.listener;
  r.dialer_version = sc.nodes[r.dialer].profile->name;
  r.listener_version = sc.nodes[r.listener].profile->name;
  const auto rel = [&](std::int64_t t) { return t == kNoTime ? kNever : t - t0; };
  r.t_dial = rel(f.t_syn);
  r.t_connect = rel(f.t_synack);
  r.t_accept = rel(f.t_ack);
  count_messages(f, t0, r);
  // The first FIN or RST ends the connection; on loopback both sides see it at once.
  std::int64_t first = kNoTime;
  int by = -1;
  for (int d = 0; d < 2; ++d)
    for (std::int64_t t : {f.t_fin[d], f.t_rst[d]})
      if (t != kNoTime && (first == kNoTime || t < first)) first = t, by = d;
  const bool rst = by >= 0 && f.t_rst[by] == first;
  if (first == kNoTime || first >= stop) {
    r.open_at_end = true;
    r.close_reason = node::CloseReason::kEndOfRun;
  } else {
    r.t_close = r.t_closed_dialer = r.t_closed_listener = first - t0;
    r.closed_by = by == 0 ? sim::Side::kDialer : sim::Side::kListener;
    r.close_reason = !error_kind.empty()     ? reason_of_kind(error_kind)
                     : r.t_connect == kNever ? node::CloseReason::kConnectRefused
                     : rst                   ? node::CloseReason::kReset
                                             : node::CloseReason::kPeerClosed;
  }
  r.protocol_errors = errors;
  return r;
}

Result<bool> record_nodes(const sim::Scenario& sc, const RealPlan& plan, const Capture& cap,
                          sim::Recorder& rec) {
  for (const auto& n : plan.nodes) {
    const auto& spec = sc.nodes[n.index];
    if (auto ok = rec.add_node(n.index, spec.name, spec.ip, n.version, n.commit, 0, n.loopback_ip);
        !ok)
      return ok.error();
    // Which real code ran the node: fidelity reads the engine from here. A mixed run's
    // model nodes ran node_core (`timesim live`) with the node's version profile.
    const std::string where = " on " + n.loopback_ip + ":" + std::to_string(kRealPort);
    const std::string detail = cap.model[n.index] ? "model live " + n.version + where
                                                  : "real " + cap.engine + " " + n.commit + where;
    if (auto ok = rec.add_node_event(0, n.index, -1, "start", detail); !ok) return ok.error();
  }
  return true;
}

}  // namespace

Result<Capture> read_capture(const RealPlan& plan, const std::string& dir) {
  auto times = read_times(dir + "/times");
  if (!times) return times.error();
  std::vector<bool> model(plan.nodes.size(), false);
  if (auto ok = check_plan_file(plan, dir + "/plan.tsv", model); !ok) return ok.error();
  if (std::find(model.begin(), model.end(), false) == model.end())
    return Error{"'" + dir + "/plan.tsv' has no real node"};
  auto flows = read_tcp_flows(dir + "/lo.pcap", kRealPort);
  if (!flows) return flows.error();
  auto errors = read_all_logs(plan, dir);
  if (!errors) return errors.error();
  for (const auto& f : *flows)
    if (f.truncated)
      return Error{"capture '" + dir + "/lo.pcap' cut a segment short: capture with -s 0"};
  return Capture{dir,
                 times->engine,
                 times->start,
                 times->stop,
                 std::move(*flows),
                 std::move(*errors),
                 std::move(model)};
}

Result<ImportStats> import_capture(const sim::Scenario& sc, const std::string& scenario_path,
                                   const RealPlan& plan, const Capture& cap, sim::Recorder& rec,
                                   const std::string& args) {
  ImportStats st;
  st.engine = cap.engine;
  st.model_nodes = static_cast<std::uint64_t>(std::count(cap.model.begin(), cap.model.end(), true));
  std::vector<Conn> conns;
  for (const auto& f : cap.flows) {
    const auto d = node_of_loopback(plan, f.client_ip), l = node_of_loopback(plan, f.server_ip);
    if (d < 0 || l < 0 || f.server_port != kRealPort)
      ++st.outside_flows;
    else
      conns.push_back({&f, static_cast<std::uint32_t>(d), static_cast<std::uint32_t>(l)});
  }
  std::stable_sort(conns.begin(), conns.end(),
                   [](const Conn& a, const Conn& b) { return a.flow->t_syn < b.flow->t_syn; });
  const std::int64_t t0 = conns.empty() ? cap.start_wall_ns : conns.front().flow->t_syn;
  const std::int64_t stop = cap.stop_wall_ns;
  st.t0_wall_ns = t0;
  st.end_ns = std::max<std::int64_t>(0, stop - t0);
  sim::RunInfo info;
  info.scenario_name = sc.name;
  info.scenario_path = scenario_path;
  info.scenario_hash = sc.text_hash;
  info.duration_ns = st.end_ns;
  info.mode = "real";
  info.args = args;
  if (auto run_id = rec.begin_run(info); !run_id) return run_id.error();
  if (auto ok = record_nodes(sc, plan, cap, rec); !ok) return ok.error();
  const ErrorMatch m = match_errors(conns, cap.errors);
  for (std::size_t c = 0; c < conns.size(); ++c) {
    auto ok = rec.add_connection(
        record_of(sc, conns[c], c + 1, t0, stop, m.first_kind[c], m.errors_of[c]));
    if (!ok) return ok.error();
    ++st.connections;
  }
  for (std::size_t k = 0; k < cap.errors.size(); ++k) {
    const auto& [node, e] = cap.errors[k];
    if (e.wall_ns < t0 || e.wall_ns > stop) continue;  // outside the run (introducer, shutdown)
    std::int64_t peer = -1;
    std::uint64_t conn_id = 0;
    if (m.conn_of[k] >= 0) {
      const auto& c = conns[static_cast<std::size_t>(m.conn_of[k])];
      peer = node == c.dialer ? c.listener : c.dialer;
      conn_id = static_cast<std::uint64_t>(m.conn_of[k]) + 1;
    } else {
      ++st.unmatched_errors;
    }
    if (auto ok = rec.add_protocol_error(e.wall_ns - t0, node, peer, conn_id, e.kind, e.text); !ok)
      return ok.error();
    ++st.protocol_errors;
  }
  sim::RunTotals totals;
  totals.end_ns = st.end_ns;
  totals.events = st.connections;
  if (auto ok = rec.end_run("complete", totals); !ok) return ok.error();
  return st;
}

}  // namespace ts::real
