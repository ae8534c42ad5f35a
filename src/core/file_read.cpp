// The whole-file reader (see file_read.h).
#include "core/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace bertgrid {
namespace {

[[noreturn]] void fail(const std::string& path, const char* verb, std::string_view what) {
  const std::string reason = std::strerror(errno);
  std::string text = path + ": cannot " + verb;
  if (!what.empty()) text += " " + std::string(what);
  throw Error(text + ": " + reason);
}

}  // namespace

std::string read_file(const std::string& path, std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "open", what);
  // A regular file is read straight into a buffer of its size; anything past that size (a file
  // that grew, or one whose size stat does not know) is appended in chunks until end of file.
  struct stat st {};
  std::string bytes;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    bytes.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  char chunk[1 << 16];
  for (;;) {
    const bool into_buffer = done < bytes.size();
    char* dest = into_buffer ? bytes.data() + done : chunk;
    const std::size_t room = into_buffer ? bytes.size() - done : sizeof chunk;
    const ssize_t got = ::read(fd, dest, room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      fail(path, "read", what);
    }
    if (got == 0) break;
    if (!into_buffer) bytes.append(chunk, static_cast<std::size_t>(got));
    done += static_cast<std::size_t>(got);
  }
  ::close(fd);
  bytes.resize(done);  // a file that shrank while it was read: what was there
  return bytes;
}

}  // namespace bertgrid
