// upgrade (one-shot; also the `upgrades:` list): a graceful stop (FIN), then a restart on
// profile `to` after `restart_delay` (docs/faults.md "Rolling upgrades").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kConnectRefused, CloseReason::kReset};
constexpr std::string_view kParams[] = {"to", "restart_delay"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  auto name = r.string("to");
  if (!name) return name.error();
  auto p = r.version("to", *name);
  if (!p) return p.error();
  f.to_profile = *p;
  if (r.has("restart_delay")) {
    auto d = r.duration("restart_delay", true);
    if (!d) return d.error();
    f.restart_delay_ns = *d;
  }
  f.end_ns = f.start_ns + f.restart_delay_ns;
  return true;
}

std::string_view to_name(const Fault& f) {
  return f.to_profile ? std::string_view(f.to_profile->name) : "?";
}

std::string describe(const Fault& f) {
  return "to " + std::string(to_name(f)) + ", restart delay " + describe_ms(f.restart_delay_ns);
}

std::string yaml(const Fault& f) {
  return ", to: " + yaml_quote(to_name(f)) + ", restart_delay: " + yaml_ns(f.restart_delay_ns);
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_node(f, rng, n);
}

void start(const Fault& f, std::uint32_t index, FaultEngine& e) {
  for (auto n : f.nodes)
    e.upgrade(n, f, index);
}

}  // namespace

extern const FaultKindInfo kind_upgrade{
    .name = "upgrade",
    .order = 15,
    .targets = Targets::kNodes,
    .one_shot = true,
    .end_event = false,
    .params = kParams,
    .can_end = kEnds,
    .no_chaos_hint = " (use upgrades:)",
    .chaos = false,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
