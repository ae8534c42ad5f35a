// Atomic file writes: a reader sees either the old file or the complete new one, never half.
// Bytes go to a temp file in the target's folder, are fsync'ed, then renamed over the target
// (and the folder is fsync'ed so the rename survives a crash). The one writer for everything
// bertgrid saves; heartbeats alone skip the fsyncs (replace_file_no_sync).
#pragma once

#include <string>
#include <string_view>

namespace bertgrid {

// Writes `bytes` to `path` atomically and durably. Throws bertgrid::Error naming the path.
void write_file_atomic(const std::string& path, std::string_view bytes);

// The streaming form, for files too large to hold twice (checkpoints): write() appends to a temp
// file next to `path`; commit() fsyncs it, renames it to `path` and fsyncs the folder. Without
// commit() (an exception on the way) the destructor removes the temp file and `path` is untouched.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  void write(std::string_view bytes);
  void commit();  // once

 private:
  [[noreturn]] void fail(const std::string& what);
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Copies the file `from` to `to` through an AtomicFile: `to` is the whole copy, durably, or
// untouched. Errors name both paths.
void copy_file_atomic(const std::string& from, const std::string& to);

// For files rewritten at every step, where durability is not worth an fsync (heartbeats): a temp
// file next to `path`, written and closed (both checked), then renamed over `path` (checked).
// Readers still never see half a file; after a crash the file may be the previous one.
void replace_file_no_sync(const std::string& path, std::string_view bytes);

}  // namespace bertgrid
