// ns-3's contenders built against Debian's libns3-dev (see bench/ns3_contenders.h).
#include "bench/ns3_contenders.h"

std::vector<ts::bench::Contender> ts::bench::ns3_debian_contenders() {
  return make_ns3_contenders("ns3deb", "ns3-debian");
}
