// How timesim recognises the files it wrote, so that it never writes over a file it did not
// write (cli/output_path.h) and never adopts another application's SQLite DB (store/recorder.h).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ts {

// `PRAGMA application_id` of every results DB timesim writes: 'TSM1' (docs/schema.md).
inline constexpr std::uint32_t kResultsDbApplicationId = 0x54534d31;

// The comment every HTML report begins with (on the line after <!DOCTYPE html>). An existing
// file is replaced by `timesim report -o` only if its first kReportMarkerWindow bytes hold it.
inline constexpr std::string_view kReportMarker = "<!-- timesim report -->";
inline constexpr std::size_t kReportMarkerWindow = 512;

// The 24-byte global header of every pcap timesim writes (store/pcap_writer.cc): nanosecond
// magic, version 2.4, little-endian, snaplen 65535, LINKTYPE_RAW (101). `--pcap` replaces an
// existing file only if it starts with exactly these bytes, so a capture from tcpdump or
// Wireshark (other magic, link type or snaplen) is never overwritten.
inline constexpr std::array<unsigned char, 24> kPcapHeader = {
    0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0};

}  // namespace ts
