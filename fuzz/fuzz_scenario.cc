// libFuzzer target: text -> the scenario loader. It must return a Scenario or an error whose
// message starts with the file name and a line:col, never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/assert.h"
#include "scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sc = ts::sim::parse_scenario(text, "fuzz.yaml");
  if (sc.ok()) {
    TS_ASSERT(!sc->nodes.empty());
    TS_ASSERT(sc->duration_ns > 0);
    for (const auto& n : sc->nodes)
      TS_ASSERT(n.profile != nullptr);
  } else {
    TS_ASSERT(sc.error().message.rfind("fuzz.yaml:", 0) == 0);
    TS_ASSERT(sc.error().message.find('\n') == std::string::npos);
  }
  return 0;
}
