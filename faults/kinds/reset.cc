// reset (one-shot): an RST from the path ends the matching open connections, or a
// `fraction` of them drawn from the seed (docs/faults.md "Link faults").
#include "faults/fault.h"

namespace ts::sim {
namespace {

using node::CloseReason;
constexpr CloseReason kEnds[] = {CloseReason::kReset};
constexpr std::string_view kParams[] = {"fraction"};

Result<bool> parse(const ParamReader& r, Fault& f) {
  return read_fraction(r, f);
}

std::string describe(const Fault& f) {
  return "fraction " + yaml_ratio(f.fraction);
}

std::string yaml(const Fault& f) {
  return ", fraction: " + yaml_ratio(f.fraction);
}

void draw(Fault& f, Prng& rng, std::uint32_t n, Duration) {
  draw_chaos_link(f, rng, n);
}

void start(const Fault& f, std::uint32_t, FaultEngine& e) {
  e.reset_connections(f);
}

}  // namespace

extern const FaultKindInfo kind_reset{
    .name = "reset",
    .order = 4,
    .one_shot = true,
    .end_event = false,
    .live = true,
    .params = kParams,
    .can_end = kEnds,
    .parse = parse,
    .describe = describe,
    .yaml = yaml,
    .draw = draw,
    .start = start,
};

}  // namespace ts::sim
