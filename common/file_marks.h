// How timesim recognises the files it wrote, so that it never writes over a file it did not
// write (cli/output_path.h) and never adopts another application's SQLite DB (sim/recorder.h).
#pragma once

#include <cstdint>
#include <string_view>

namespace ts {

// `PRAGMA application_id` of every results DB timesim writes: 'TSM1' (docs/schema.md).
inline constexpr std::uint32_t kResultsDbApplicationId = 0x54534d31;

// The comment every HTML report begins with (on the line after <!DOCTYPE html>). An existing
// file is replaced by `timesim report -o` only if its first kReportMarkerWindow bytes hold it.
inline constexpr std::string_view kReportMarker = "<!-- timesim report -->";
inline constexpr std::size_t kReportMarkerWindow = 512;

}  // namespace ts
