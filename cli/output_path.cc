#include "cli/output_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/file_marks.h"

namespace ts::cli {
namespace {

namespace fs = std::filesystem;

std::string in_quotes(const std::string& path) {
  return "'" + path + "'";
}

// What kind of non-regular file `mode` is, for messages.
const char* file_type_name(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

// The first `n` bytes of the regular file `path` (fewer if it is shorter); read-only, no
// side effects. O_NOFOLLOW|O_NONBLOCK: the caller has checked it is a regular file, and a
// race that swapped in a FIFO or a symlink must not block or be followed.
Result<std::string> head_of(const std::string& path, std::size_t n) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error{"cannot read " + in_quotes(path) + ": " + std::strerror(errno)};
  std::string buf(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, buf.data() + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  buf.resize(got);
  return buf;
}

std::uint32_t big_endian32(const std::string& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// The existing, non-empty regular file `out` must be one timesim wrote (see the header).
Result<bool> check_content(const std::string& out, OutputKind kind) {
  const std::string refuse = "; refusing to overwrite it";
  switch (kind) {
    case OutputKind::kResultsDb: {
      auto h = head_of(out, 100);
      if (!h) return h.error();
      if (h->size() < 16 || h->compare(0, 16, std::string("SQLite format 3\0", 16)) != 0)
        return Error{in_quotes(out) + " is not a timesim results DB (not an SQLite file)" + refuse};
      if (h->size() >= 72) {
        const std::uint32_t id = big_endian32(*h, 68);  // the header's application_id
        if (id != 0 && id != kResultsDbApplicationId) {
          char hex[11];
          std::snprintf(hex, sizeof hex, "0x%08x", id);
          return Error{in_quotes(out) + " is not a timesim results DB (application_id " + hex +
                       ")" + refuse};
        }
      }
      return true;
    }
    case OutputKind::kPcap: {
      auto h = head_of(out, kPcapHeader.size());
      if (!h) return h.error();
      const std::string_view ours(reinterpret_cast<const char*>(kPcapHeader.data()),
                                  kPcapHeader.size());
      if (*h != ours)
        return Error{in_quotes(out) + " exists and is not a pcap timesim wrote" + refuse};
      return true;
    }
    case OutputKind::kHtmlReport: {
      auto h = head_of(out, kReportMarkerWindow);
      if (!h) return h.error();
      if (h->find(kReportMarker) == std::string::npos)
        return Error{in_quotes(out) + " exists and is not a report timesim wrote" + refuse};
      return true;
    }
  }
  return true;
}

// `out` (lstat'ed into `st` when `exists`) is not the same file as `in`.
Result<bool> check_distinct(const std::string& out, bool exists, const struct stat& st,
                            const std::string& in) {
  if (in.empty() || in == "-") return true;
  struct stat in_st {};
  if (exists && ::stat(in.c_str(), &in_st) == 0) {
    if (in_st.st_dev == st.st_dev && in_st.st_ino == st.st_ino)
      return Error{out == in ? in_quotes(out) + " is also another of this command's files"
                             : in_quotes(out) + " is the same file as " + in_quotes(in) +
                                   ", another of this command's files"};
    return true;
  }
  // At least one of them does not exist yet: compare where they would be.
  std::error_code e1, e2;
  const auto a = fs::weakly_canonical(fs::absolute(out), e1);
  const auto b = fs::weakly_canonical(fs::absolute(in), e2);
  if (!e1 && !e2 && a == b)
    return Error{out == in ? in_quotes(out) + " is also another of this command's files"
                           : in_quotes(out) + " is the same file as " + in_quotes(in) +
                                 ", another of this command's files"};
  return true;
}

// A new file `out` can be created: its directory exists and is writable.
Result<bool> check_creatable(const std::string& out) {
  const fs::path parent = fs::path(out).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return Error{"cannot create " + in_quotes(out) + ": directory " + in_quotes(dir) + ": " +
                 std::strerror(errno)};
  if (!S_ISDIR(st.st_mode))
    return Error{"cannot create " + in_quotes(out) + ": " + in_quotes(dir) + " is not a directory"};
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Error{"cannot create " + in_quotes(out) + ": directory " + in_quotes(dir) + ": " +
                 std::strerror(errno)};
  return true;
}

// A non-empty SQLite sidecar `side` of the results DB `db` ("-journal", "-wal" or "-shm")
// holds that DB's own data: it begins with SQLite's magic number for its kind.
bool sidecar_magic_ok(const std::string& head, const std::string& suffix) {
  if (head.size() < 8) return false;
  if (suffix == "-journal")  // rollback journal header magic
    return head.compare(0, 8, std::string("\xd9\xd5\x05\xf9\x20\xa1\x63\xd7", 8)) == 0;
  const std::uint32_t w = big_endian32(head, 0);
  if (suffix == "-wal") return w == 0x377f0682 || w == 0x377f0683;
  // -shm: the wal-index header's iVersion 3007000, in the writer's byte order.
  return w == 3007000 || w == 0x18e22d00;
}

// SQLite reads, rolls back into the DB, truncates or deletes the files beside a DB. Each
// one that exists must be a regular file, none of `inputs`, and, if not empty, hold SQLite's
// data for a non-empty `db` (`db_has_data`): a foreign file there would be deleted or
// played into the DB, and a sidecar without its DB is deleted by SQLite.
Result<bool> check_sidecars(const std::string& db, const std::vector<std::string>& inputs,
                            bool db_has_data) {
  const std::string refuse = "; refusing to use the results DB " + in_quotes(db) + " beside it";
  for (const char* suffix : {"-journal", "-wal", "-shm"}) {
    const std::string side = db + suffix;
    struct stat st {};
    if (::lstat(side.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return Error{"cannot use " + in_quotes(side) + ": " + std::strerror(errno)};
    }
    if (!S_ISREG(st.st_mode))
      return Error{in_quotes(side) + " is " + file_type_name(st.st_mode) + refuse};
    for (const auto& in : inputs)
      if (auto ok = check_distinct(side, true, st, in); !ok) return ok;
    if (st.st_size == 0) continue;
    auto h = head_of(side, 8);
    if (!h) return h.error();
    if (!db_has_data || !sidecar_magic_ok(*h, suffix))
      return Error{in_quotes(side) + " exists and is not SQLite's " + (suffix + 1) + " file of " +
                   in_quotes(db) + refuse};
  }
  return true;
}

// The checks of check_output_path() after the common ones, for an `out` that exists
// (`exists`, lstat'ed into `st`) or not.
Result<bool> check_target(const std::string& out, bool exists, const struct stat& st,
                          OutputKind kind) {
  if (!exists) return check_creatable(out);
  if (st.st_size == 0) return true;
  return check_content(out, kind);
}

}  // namespace

std::vector<std::string> results_db_files(const std::string& db) {
  return {db, db + "-journal", db + "-wal", db + "-shm"};
}

Result<bool> check_output_path(const std::string& out, const std::vector<std::string>& inputs,
                               OutputKind kind) {
  if (out.empty()) return Error{"empty output path"};
  if (out == "-") {
    if (kind == OutputKind::kHtmlReport) return true;
    return Error{kind == OutputKind::kResultsDb ? "a results DB cannot be written to stdout ('-')"
                                                : "a pcap cannot be written to stdout ('-')"};
  }
  if (out.find('\0') != std::string::npos) return Error{"output path contains a NUL byte"};
  struct stat st {};
  bool exists = false;
  if (::lstat(out.c_str(), &st) == 0) {
    exists = true;
    if (!S_ISREG(st.st_mode))
      return Error{in_quotes(out) + " is " + file_type_name(st.st_mode) +
                   ", not a regular file; refusing to write to it"};
  } else if (errno != ENOENT) {
    return Error{"cannot use " + in_quotes(out) + ": " + std::strerror(errno)};
  }
  for (const auto& in : inputs)
    if (auto ok = check_distinct(out, exists, st, in); !ok) return ok;
  if (auto ok = check_target(out, exists, st, kind); !ok) return ok;
  if (kind != OutputKind::kResultsDb) return true;
  return check_sidecars(out, inputs, exists && st.st_size > 0);
}

}  // namespace ts::cli
