// One check for every file a command writes (run --db/--pcap, live --db, report -o,
// compare/sweep --db, merge OUT): call check_output_path() for each output while validating
// the command line, before any file is opened, created, truncated or removed.
//
// check_output_path(out, inputs, kind) refuses, with a message ready for fail(2, ...):
//   - an empty path;
//   - "-" (stdout) unless `kind` can be written to stdout (kHtmlReport);
//   - an existing `out` that is not a regular file: a symbolic link (never followed), a
//     directory, a FIFO, a socket or a device;
//   - an `out` that is the same file as one of `inputs` (same st_dev and st_ino, symlinks
//     of the inputs resolved; for paths that do not exist yet, the same normalised absolute
//     path). Pass every input file AND every other output of the command (e.g. run passes
//     --db as an "input" of --pcap), so two outputs can never be one file;
//   - a new `out` whose directory does not exist or is not writable;
//   - an existing, non-empty `out` that timesim did not write:
//       kResultsDb:  not an SQLite file, or an SQLite file whose application_id is neither
//                    timesim's (common/file_marks.h) nor 0 (0: a new or legacy DB, which
//                    sim::Recorder::open examines further before writing anything);
//       kPcap:       no pcap/pcapng magic number in its first 4 bytes;
//       kHtmlReport: no kReportMarker in its first kReportMarkerWindow bytes.
//   - for kResultsDb, a file beside `out` that SQLite would read, roll back, truncate or
//     delete (`out` + "-journal", "-wal", "-shm") that is not a regular file, is one of
//     `inputs`, or is non-empty and not SQLite's file of that kind for a non-empty `out`.
// Empty existing files are accepted for every kind. Inputs that do not exist are ignored
// here (their readers report them).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace ts::cli {

enum class OutputKind { kResultsDb, kPcap, kHtmlReport };

// Ok (true) when `out` may be written as an output of `kind`; see above.
Result<bool> check_output_path(const std::string& out, const std::vector<std::string>& inputs,
                               OutputKind kind);

// The files a results DB at `db` may consist of: `db` and its -journal, -wal and -shm
// files. Pass them as inputs when checking a command's other outputs.
std::vector<std::string> results_db_files(const std::string& db);

}  // namespace ts::cli
