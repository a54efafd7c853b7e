// ns-3's contenders built against the release build of its core (scripts/build_ns3_release;
// compiled with -Dns3=ns3rel, see bench/ns3_contenders.h).
#include "bench/ns3_contenders.h"

std::vector<ts::bench::Contender> ts::bench::ns3_release_contenders() {
  return make_ns3_contenders("ns3rel", "ns3-release");
}
