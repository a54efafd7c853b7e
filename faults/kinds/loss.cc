// loss: each transmission of a segment is lost with `loss`; TCP retransmits it as Linux does
// (sim/retransmit.h) until it gives up (docs/faults.md "Link faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kPongTimeout, CloseReason::kConnectTimeout,
                                 CloseReason::kRetransmitTimeout};
constexpr std::string_view kParams[] = {"loss"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  auto v = r.ratio("loss");
  if (!v) return v.error();
  if (v->num == v->den)
    return r.error_at("loss", "'loss' must be below 1 (TCP would never deliver)");
  f.loss = *v;
  return true;
}

std::string describe(const Fault& f) {
  return "loss " + std::to_string(f.loss.num) + "/" + std::to_string(f.loss.den);
}

std::string yaml(const Fault& f) {
  return ", loss: " + yaml_ratio(f.loss);
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
  f.loss = Ratio{static_cast<std::uint64_t>(rng.uniform(1, 30)), 100};
}

void start(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.activate_link_fault(index);
}

void end(const Fault&, std::uint32_t index, FaultEngine& e) {
  e.deactivate_link_fault(index);
}

}  // namespace

extern const FaultKindInfo kind_loss{
    .name = "loss",
    .order = 2,
    .link_effect = LinkEffect::kLoss,
    .params = kParams,
    .can_end = kEnds,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = start,
    .end = end,
};

}  // namespace ts::sim
