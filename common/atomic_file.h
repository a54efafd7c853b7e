// AtomicFile: writes a file through a temporary file in the same directory, renamed over the
// target by commit(). An interrupted or failed write leaves the target as it was (and no
// temporary file behind, unless the process is killed). The temporary is created with
// O_EXCL (mkstemp), so no existing file or symlink is ever opened or truncated by it.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "common/result.h"

namespace ts {

class AtomicFile {
 public:
  // Creates the temporary file for `path` (`<dir>/.<name>.tmp.XXXXXX`, mode 0666 & ~umask).
  static Result<std::unique_ptr<AtomicFile>> create(const std::string& path) {
    const auto slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string tmp = dir + "." + name + ".tmp.XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) return Error{"cannot create '" + path + "': " + std::strerror(errno)};
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    std::FILE* f = ::fdopen(fd, "wb");
    if (!f) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{"cannot create '" + path + "': " + std::strerror(errno)};
    }
    return std::unique_ptr<AtomicFile>(new AtomicFile(path, tmp, f));
  }
  ~AtomicFile() {
    if (f_) std::fclose(f_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::FILE* file() const { return f_; }

  // Flushes, syncs and closes the temporary file and renames it over the target.
  Result<bool> commit() {
    bool ok = std::fflush(f_) == 0 && !std::ferror(f_);
    const int err = ok ? 0 : errno;
    ok = ok && ::fsync(::fileno(f_)) == 0;
    ok = std::fclose(f_) == 0 && ok;
    f_ = nullptr;
    if (!ok) return Error{"cannot write '" + path_ + "': " + std::strerror(err ? err : errno)};
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
      return Error{"cannot write '" + path_ + "': " + std::strerror(errno)};
    committed_ = true;
    return true;
  }

 private:
  AtomicFile(std::string path, std::string tmp, std::FILE* f)
      : path_(std::move(path)), tmp_(std::move(tmp)), f_(f) {}

  std::string path_, tmp_;
  std::FILE* f_;
  bool committed_ = false;
};

}  // namespace ts
