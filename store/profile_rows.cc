#include "store/profile_rows.h"

#include <algorithm>

namespace ts::sim {

std::vector<const node::VersionProfile*> used_profiles(const Scenario& s) {
  std::vector<const node::VersionProfile*> out;
  auto add = [&](const node::VersionProfile* p) {
    if (p && std::none_of(out.begin(), out.end(), [&](auto* q) { return q->name == p->name; }))
      out.push_back(p);
  };
  for (const auto& n : s.nodes)
    add(n.profile);
  for (const auto& f : s.faults)
    add(f.to_profile);  // upgrades' target versions (null for other kinds)
  return out;
}

Result<bool> record_profiles(Recorder& rec, const Scenario& s) {
  for (const auto* p : used_profiles(s))
    if (auto ok = rec.add_profile(*p); !ok) return ok;
  return true;
}

}  // namespace ts::sim
