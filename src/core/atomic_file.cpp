#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.h"

namespace bertgrid {
namespace fs = std::filesystem;

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// Creates a new, empty temp file next to `path` (mode 0666 less the umask, like a plain create)
// and returns its name and open descriptor.
std::string create_temp_next_to(const std::string& path, int* fd_out) {
  static std::atomic<unsigned> counter{0};
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string name = "." + target.filename().string() + ".tmp." +
                             std::to_string(::getpid()) + "." + std::to_string(counter++);
    const std::string temp = (dir / name).string();
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *fd_out = fd;
      return temp;
    }
    if (errno != EEXIST) {
      throw Error("cannot create a temp file for " + path + " (" + temp + "): " + errno_text());
    }
  }
  throw Error("cannot create a temp file for " + path + ": too many leftover temp files");
}

// Writes all of `bytes`; false (errno set) on failure.
bool write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void fsync_dir_of(const std::string& path) {
  const fs::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // Some file systems refuse to fsync a folder; the rename itself has already happened.
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Renames `temp` over `path` (removing `temp` if that fails), then makes the rename durable.
void rename_over(const std::string& temp, const std::string& path, bool durable) {
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    throw Error("cannot rename " + temp + " to " + path + ": " + why);
  }
  if (durable) fsync_dir_of(path);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  temp_ = create_temp_next_to(path_, &fd_);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::fail(const std::string& what) {
  const std::string why = errno_text();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temp_.c_str());
  throw Error("cannot " + what + " " + temp_ + " (for " + path_ + "): " + why);
}

void AtomicFile::write(std::string_view bytes) {
  if (fd_ < 0) throw Error("AtomicFile: " + path_ + " was already committed or failed");
  if (!write_all(fd_, bytes)) fail("write");
}

void AtomicFile::commit() {
  if (fd_ < 0) throw Error("AtomicFile: " + path_ + " was already committed or failed");
  if (::fsync(fd_) != 0) fail("fsync");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close");  // close can report a deferred write error
  committed_ = true;                    // rename_over removes the temp itself if it fails
  rename_over(temp_, path_, /*durable=*/true);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  AtomicFile out(path);
  out.write(bytes);
  out.commit();
}

void copy_file_atomic(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw Error("cannot open " + from + " to copy it to " + to + ": " + errno_text());
  try {
    AtomicFile out(to);
    std::vector<char> chunk(1 << 20);
    for (;;) {
      const ssize_t got = ::read(in, chunk.data(), chunk.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        throw Error("cannot read " + from + " (copying it to " + to + "): " + errno_text());
      if (got == 0) break;
      out.write(std::string_view(chunk.data(), static_cast<std::size_t>(got)));
    }
    out.commit();
  } catch (...) {
    ::close(in);
    throw;
  }
  ::close(in);
}

void replace_file_no_sync(const std::string& path, std::string_view bytes) {
  int fd = -1;
  const std::string temp = create_temp_next_to(path, &fd);
  const bool written = write_all(fd, bytes);
  const int write_errno = errno;
  const bool closed = ::close(fd) == 0;
  if (!written || !closed) {
    errno = written ? errno : write_errno;
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    throw Error("cannot " + std::string(written ? "close " : "write ") + temp + " (for " + path +
                "): " + why);
  }
  rename_over(temp, path, /*durable=*/false);
}

}  // namespace bertgrid
