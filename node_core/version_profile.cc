#include "node_core/version_profile.h"

#include <array>

namespace ts::node {
namespace {

constexpr VersionProfile make_pre_fix() {
  VersionProfile p;
  p.name = "pre-fix";
  p.commit = "ea701a4";
  p.description = "outbound sends Ping with no Handshake; drops non-ping/pong silently";
  return p;
}

constexpr VersionProfile make_logging_fix() {
  VersionProfile p = make_pre_fix();
  p.name = "logging-fix";
  p.commit = "b5513be";
  p.description = "as pre-fix, but logs the non-ping/pong messages it still drops";
  p.outbound_logs_dropped_messages = true;
  return p;
}

constexpr VersionProfile make_post_fix() {
  VersionProfile p = make_logging_fix();
  p.name = "post-fix";
  p.commit = "31ad283";
  p.description = "outbound sends Handshake (network \"mainnet\") then Ping; still drops the rest";
  p.sends_handshake_first = true;
  return p;
}

constexpr std::array<VersionProfile, 3> kProfiles = {make_pre_fix(), make_logging_fix(),
                                                     make_post_fix()};

}  // namespace

std::span<const VersionProfile> all_profiles() {
  return kProfiles;
}

const VersionProfile* find_profile(std::string_view name) {
  for (const auto& p : kProfiles)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace ts::node
