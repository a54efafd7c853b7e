// A fault kind: its traits (name, targets, parameters and their parsing, what it can end,
// how chaos draws it) and its handler (what it does to an engine when it starts, at each
// phase, and when it ends). Each kind is one file, faults/kinds/<name>.cc, defining one
// `const FaultKindInfo kind_<name>`; the build collects every file there into the table
// (fault_kinds() in faults/kind_registry.cc). docs/faults.md describes each kind.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/prng.h"
#include "common/result.h"
#include "common/time.h"
#include "node_core/node_io.h"
#include "node_core/version_profile.h"
#include "sim/latency.h"

namespace ts::sim {

struct Fault;
class FaultEngine;

// What a link fault does to the directions it matches while active; the engines apply it
// per segment (sim::World::arrival, blocked_until; live::LiveWorld::sample, blocked_until).
enum class LinkEffect : std::uint8_t {
  kNone,       // not a link-state fault (one-shots, node faults)
  kBlock,      // bytes stall until blocked_until(), like TCP retransmitting across a cut
  kLatency,    // Fault::latency replaces the link's latency model
  kLoss,       // each transmission is lost with Fault::loss
  kBandwidth,  // serialisation at Fault::bandwidth_bps, queueing per direction
};

// What a kind targets: directions between node sets (`from`/`to`/`between`, and `groups`
// for kinds that allow it) or nodes (`nodes`/`node`).
enum class Targets : std::uint8_t { kLinks, kLinksOrGroups, kNodes };

// The scenario loader's view of one fault mapping, for a kind's parser. Every error it
// returns starts with "file:line:col: ". `key` names a key of the mapping; error_at("")
// points at the mapping itself.
class ParamReader {
 public:
  virtual ~ParamReader() = default;
  virtual bool has(std::string_view key) const = 0;
  virtual Error error_at(std::string_view key, const std::string& msg) const = 0;
  // "fault '<kind>'", the prefix of the kind's messages.
  virtual const std::string& what() const = 0;
  // The value of `key`; each fails with "<what>: missing key '<key>'" at the mapping.
  virtual Result<Duration> duration(std::string_view key, bool allow_zero) const = 0;
  virtual Result<Duration> signed_duration(std::string_view key) const = 0;
  virtual Result<Ratio> ratio(std::string_view key) const = 0;  // "0.1", "10%", "1/10"
  virtual Result<std::uint64_t> u64(std::string_view key) const = 0;
  virtual Result<std::int64_t> i64(std::string_view key) const = 0;
  virtual Result<std::string> string(std::string_view key) const = 0;
  // The mapping as a latency model (`model: fixed|uniform|normal` and its keys).
  virtual Result<LatencyModel> latency_model() const = 0;
  // The version called `name`, or an error at `key` naming the known ones.
  virtual Result<const node::VersionProfile*> version(std::string_view key,
                                                      const std::string& name) const = 0;
};

struct FaultKindInfo {
  std::string_view name{};
  int order = 0;  // position in listings (kind lists in messages); unique
  Targets targets = Targets::kLinks;
  bool one_shot = false;  // acts once at `at`; no `for`/`until`
  // The engine calls end() at Fault::end_ns (when it is not kNever). False for one-shots
  // and for kinds whose end is their own business (a crash's restart).
  bool end_event = true;
  // Fault::restart_after_ns is the fault's length (crash): `timesim hunt` shrinks it.
  bool length_is_restart = false;
  bool live = false;  // runs in live mode (live::LiveWorld)
  // The node event recorded when a node this fault stopped starts again ("": none).
  std::string_view restart_event{};
  LinkEffect link_effect = LinkEffect::kNone;
  std::span<const std::string_view> params{};    // the kind's own keys
  std::span<const node::CloseReason> can_end{};  // the endings it can cause (blame)
  std::string_view no_chaos_hint{};              // chaos cannot draw it: " (use upgrades:)"
  bool chaos = true;                             // chaos may draw it

  // Parses the kind's own keys (after the common keys and the targets) into `f`.
  Result<bool> (*parse)(const ParamReader& r, Fault& f) = nullptr;
  // The parameters for the faults table ("" if none), and as `, key: value` YAML pairs
  // that parse back exactly (Fault::to_yaml).
  std::string (*describe)(const Fault& f) = nullptr;
  std::string (*yaml)(const Fault& f) = nullptr;
  // Chaos: draws the targets and parameters after the common draws (the start, the
  // kind, a duration `d`; end_ns = start + d unless one-shot), in the kind's fixed order.
  void (*draw)(Fault& f, Prng& rng, std::uint32_t nodes, Duration d) = nullptr;

  // The handler. `index` is the fault's index in the engine's schedule.
  void (*start)(const Fault& f, std::uint32_t index, FaultEngine& e) = nullptr;
  void (*end)(const Fault& f, std::uint32_t index, FaultEngine& e) = nullptr;
  // A phase the kind asked for (FaultEngine::schedule_phase) has come.
  void (*phase)(const Fault& f, std::uint32_t index, FaultEngine& e) = nullptr;
  // kBlock: while active, the directions it matches are blocked until the returned time
  // (0: not blocked now).
  SimTime (*blocked_until)(const Fault& f, SimTime now) = nullptr;
};

using FaultKind = const FaultKindInfo*;

// Every kind, by `order`.
std::span<const FaultKind> fault_kinds();
// The kind called `name`, or nullptr.
FaultKind find_fault_kind(std::string_view name);

// What an engine offers a kind's handler. Node and link primitives only: which of them a
// fault uses, and when, is the kind's.
class FaultEngine {
 public:
  virtual ~FaultEngine() = default;
  virtual SimTime now() const = 0;
  // The fault's LinkEffect applies to its directions from now on / no longer.
  virtual void activate_link_fault(std::uint32_t index) = 0;
  virtual void deactivate_link_fault(std::uint32_t index) = 0;
  // A path may have been cut: listeners' keepalives start watching their dialers.
  virtual void arm_keepalives() = 0;
  // Calls the kind's phase() at `at` (for kinds that change over time while active).
  virtual void schedule_phase(SimTime at, std::uint32_t index) = 0;
  // An RST from the path ends the matching open connections, each with probability
  // Fault::fraction (drawn in connection order from the engine's fault stream).
  virtual void reset_connections(const Fault& f) = 0;
  // Bytes written into every open connection's matching directions; `make` builds them
  // from the direction's PRNG.
  virtual void inject(const Fault& f, std::string (*make)(const Fault& f, Prng& rng)) = 0;
  // Node primitives (sim only; live mode runs only kinds that need none of them).
  virtual void refuse(std::uint32_t node, int delta) = 0;  // dials are refused while > 0
  virtual void crash(std::uint32_t node, const Fault& f, std::uint32_t index) = 0;
  virtual void pause(std::uint32_t node, SimTime until) = 0;
  virtual void set_clock(std::uint32_t node, const Fault& f, std::uint32_t index) = 0;
  virtual void clear_clock(std::uint32_t node, std::uint32_t index) = 0;
  virtual void upgrade(std::uint32_t node, const Fault& f, std::uint32_t index) = 0;
};

// Chaos helpers for the kinds' draw(): one node, or one link (both directions).
void draw_chaos_node(Fault& f, Prng& rng, std::uint32_t nodes);
void draw_chaos_link(Fault& f, Prng& rng, std::uint32_t nodes);
// The optional `fraction` key (reset, reset_every) into Fault::fraction; absent: all (1/1).
Result<bool> read_fraction(const ParamReader& r, Fault& f);
// Text helpers for describe()/yaml().
std::string describe_ms(Duration d);  // "1500ms"
std::string yaml_ns(Duration d);      // "0s" or "<n>ns", exact
std::string yaml_signed_ns(Duration d);
std::string yaml_ratio(Ratio r);
std::string yaml_quote(std::string_view v);

}  // namespace ts::sim
