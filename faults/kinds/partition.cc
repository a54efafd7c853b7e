// partition: the matching directions are cut while it holds; bytes stall and arrive after
// the heal, like TCP retransmitting (docs/faults.md "Link faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kPongTimeout, CloseReason::kConnectTimeout,
                                 CloseReason::kKeepaliveTimeout};

Result<bool> parse(const ParamReader& r, Fault& f) {
  if (f.group_of.empty() && f.from.empty())
    return r.error_at("", r.what() + " needs 'groups' (symmetric) or 'from'/'to' (one-way)");
  return true;
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {  // two non-empty groups
  f.group_of.assign(n, 0);
  const std::uint32_t cut = 1 + static_cast<std::uint32_t>(rng.below(n - 1));
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i)
    order[i] = i;
  for (std::uint32_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(i + 1)]);
  for (std::uint32_t i = 0; i < cut; ++i)
    f.group_of[order[i]] = 1;
}

void start(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.activate_link_fault(index);
  e.arm_keepalives();
}

void end(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.deactivate_link_fault(index);
}

SimTime blocked_until(const Fault& f, SimTime) {
  return f.end_ns;
}

}  // namespace

extern const FaultKindInfo kind_partition{
    .name = "partition",
    .order = 0,
    .targets = Targets::kLinksOrGroups,
    .live = true,
    .link_effect = LinkEffect::kBlock,
    .can_end = kEnds,
    .parse = parse,
    .draw = draw,
    .start = start,
    .end = end,
    .blocked_until = blocked_until,
};

}  // namespace ts::sim
