// Atomic file writes: a reader sees either the old file or the complete new one, never half.
// Bytes go to a temp file in the target's folder, are fsync'ed, then renamed over the target
// (and the folder is fsync'ed so the rename survives a crash).
#pragma once

#include <string>
#include <string_view>

namespace bertgrid {

// Writes `bytes` to `path` atomically. Throws bertgrid::Error naming the path on failure.
void write_file_atomic(const std::string& path, std::string_view bytes);

// For producers that write a file by name (HDF5, libtorch): write to temp(), then commit().
// The temp file exists (empty) from construction, in the same folder as `path`.
// If commit() is not reached, the destructor removes the temp file and `path` is untouched.
class AtomicPath {
 public:
  explicit AtomicPath(std::string path);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp() const { return temp_; }
  // fsyncs the temp file, renames it to path(), fsyncs the folder. Call once, after the producer
  // has closed the temp file.
  void commit();

 private:
  std::string path_;
  std::string temp_;
  bool committed_ = false;
};

}  // namespace bertgrid
