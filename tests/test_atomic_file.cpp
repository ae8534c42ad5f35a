// Tests for io/atomic_file: complete replacement, no temp files left behind, clean failures.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/atomic_file.h"

namespace fs = std::filesystem;
using bertgrid::AtomicPath;
using bertgrid::write_file_atomic;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "bertgrid_atomic_XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path_), {}));
  }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(AtomicFile, WritesExactBytes) {
  TempDir dir;
  const std::string path = (dir.path() / "out.bin").string();
  const std::string bytes("a\0b\nc\xFF", 6);
  write_file_atomic(path, bytes);
  EXPECT_EQ(slurp(path), bytes);
  EXPECT_EQ(dir.entries(), 1u);  // no temp file left
}

TEST(AtomicFile, ReplacesExistingFile) {
  TempDir dir;
  const std::string path = (dir.path() / "results.csv").string();
  write_file_atomic(path, "old contents that are longer\n");
  write_file_atomic(path, "new\n");
  EXPECT_EQ(slurp(path), "new\n");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(AtomicFile, MissingFolderIsNamed) {
  TempDir dir;
  const std::string path = (dir.path() / "nope" / "out.txt").string();
  try {
    write_file_atomic(path, "x");
    FAIL() << "expected bertgrid::Error";
  } catch (const bertgrid::Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("cannot create a temp file for " + path, 0), 0u) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  }
}

TEST(AtomicPath, TempIsInSameFolderAndCommitRenames) {
  TempDir dir;
  const std::string path = (dir.path() / "model.h5").string();
  AtomicPath out(path);
  EXPECT_EQ(fs::path(out.temp()).parent_path(), dir.path());
  EXPECT_NE(out.temp(), path);
  EXPECT_TRUE(fs::exists(out.temp()));
  EXPECT_FALSE(fs::exists(path));
  std::ofstream(out.temp(), std::ios::binary) << "payload";
  out.commit();
  EXPECT_EQ(slurp(path), "payload");
  EXPECT_FALSE(fs::exists(out.temp()));
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(AtomicPath, AbandonedTempIsRemovedAndTargetKept) {
  TempDir dir;
  const std::string path = (dir.path() / "model.h5").string();
  write_file_atomic(path, "previous");
  std::string temp;
  {
    AtomicPath out(path);
    temp = out.temp();
    std::ofstream(out.temp(), std::ios::binary) << "half-writ";
  }  // no commit: e.g. the producer threw
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(slurp(path), "previous");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(AtomicPath, TwoAtOnceGetDistinctTemps) {
  TempDir dir;
  const std::string path = (dir.path() / "x").string();
  AtomicPath a(path), b(path);
  EXPECT_NE(a.temp(), b.temp());
  EXPECT_EQ(dir.entries(), 2u);
}
