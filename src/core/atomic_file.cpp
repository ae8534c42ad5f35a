#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace bertgrid {
namespace fs = std::filesystem;

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports failure (close can report a deferred write error).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

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

void fsync_dir_of(const std::string& path) {
  const fs::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // Some file systems refuse to fsync a folder; the rename itself has already happened.
  if (fd.get() >= 0) ::fsync(fd.get());
}

void rename_over(const std::string& temp, const std::string& path) {
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    throw Error("cannot rename " + temp + " to " + path + ": " + why);
  }
  fsync_dir_of(path);
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  int raw = -1;
  const std::string temp = create_temp_next_to(path, &raw);
  Fd fd(raw);
  auto fail = [&](const std::string& what) {
    const std::string why = errno_text();
    fd.close();
    ::unlink(temp.c_str());
    throw Error("cannot " + what + " " + temp + " (for " + path + "): " + why);
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail("fsync");
  if (!fd.close()) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    throw Error("cannot close " + temp + " (for " + path + "): " + why);
  }
  rename_over(temp, path);
}

AtomicPath::AtomicPath(std::string path) : path_(std::move(path)) {
  int raw = -1;
  temp_ = create_temp_next_to(path_, &raw);
  ::close(raw);
}

AtomicPath::~AtomicPath() {
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicPath::commit() {
  if (committed_) throw Error("AtomicPath::commit called twice for " + path_);
  {
    Fd fd(::open(temp_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      throw Error("cannot open " + temp_ + " (for " + path_ + ") to fsync: " + errno_text());
    }
    if (::fsync(fd.get()) != 0) {
      throw Error("cannot fsync " + temp_ + " (for " + path_ + "): " + errno_text());
    }
  }
  committed_ = true;  // rename_over removes the temp itself if the rename fails
  rename_over(temp_, path_);
}

}  // namespace bertgrid
