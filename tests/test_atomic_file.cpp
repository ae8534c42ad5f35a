// Tests for core/atomic_file: complete replacement, no temp files left behind, clean failures,
// for the one-shot, streaming, copying and heartbeat forms.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/error.h"
#include "tests/support.h"

namespace bertgrid {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::read_file;
using testing::TempDir;

TEST(AtomicFile, WritesExactBytes) {
  TempDir dir;
  const std::string path = dir / "out.bin";
  const std::string bytes("a\0b\nc\xFF", 6);
  write_file_atomic(path, bytes);
  EXPECT_EQ(read_file(path), bytes);
  EXPECT_EQ(dir.entries(), 1u);  // no temp file left
}

TEST(AtomicFile, ReplacesExistingFile) {
  TempDir dir;
  const std::string path = dir / "results.csv";
  write_file_atomic(path, "old contents that are longer\n");
  write_file_atomic(path, "new\n");
  write_file_atomic(path, "new\n");
  EXPECT_EQ(read_file(path), "new\n");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(AtomicFile, MissingFolderIsNamed) {
  TempDir dir;
  const std::string path = dir / "nope/out.txt";
  const std::string msg = error_of([&] { write_file_atomic(path, "x"); });
  EXPECT_EQ(msg.rfind("cannot create a temp file for " + path, 0), 0u) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
}

TEST(AtomicFile, StreamsPiecesAndCommits) {
  TempDir dir;
  const std::string path = dir / "checkpoint.safetensors";
  write_file_atomic(path, "previous");
  AtomicFile out(path);
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + std::string(static_cast<size_t>(i % 7), '\0');
    out.write(piece);
    expected += piece;
    if (i == 500) {
      EXPECT_EQ(read_file(path), "previous");  // untouched until commit
    }
  }
  EXPECT_EQ(dir.entries(), 2u);  // the target and the temp file
  out.commit();
  EXPECT_EQ(read_file(path), expected);
  EXPECT_EQ(dir.entries(), 1u);
  EXPECT_NE(error_of([&] { out.write("more"); }).find("already committed"), std::string::npos);
  EXPECT_NE(error_of([&] { out.commit(); }).find("already committed"), std::string::npos);
}

TEST(AtomicFile, WithoutCommitTheTargetIsKeptAndTheTempRemoved) {
  TempDir dir;
  const std::string path = dir / "model.safetensors";
  write_file_atomic(path, "previous");
  try {
    AtomicFile out(path);
    out.write("half of the new bytes");
    throw std::runtime_error("the producer failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(read_file(path), "previous");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(AtomicFile, CreatesFilesReadableLikeAPlainCreate) {
  TempDir dir;
  const std::string path = dir / "config.json";
  const mode_t old_mask = ::umask(022);
  write_file_atomic(path, "{}");
  ::umask(old_mask);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(CopyFileAtomic, CopiesEveryByte) {
  TempDir dir;
  std::string big;
  for (int i = 0; i < 300000; ++i) big += static_cast<char>(i * 31 % 256);
  big += big + big + big;  // 1.2 MB: more than one 1 MiB chunk of the copy
  const std::string from = dir.write("shared.h5", big);
  const std::string to = dir / "run/embeddings.h5";
  fs::create_directories(dir / "run");
  write_file_atomic(to, "stale");
  copy_file_atomic(from, to);
  EXPECT_EQ(read_file(to), big);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "run"), {}), 1);
}

TEST(CopyFileAtomic, MissingSourceIsNamedAndTargetKept) {
  TempDir dir;
  const std::string to = dir / "embeddings.h5";
  write_file_atomic(to, "kept");
  const std::string msg = error_of([&] { copy_file_atomic(dir / "absent.h5", to); });
  EXPECT_EQ(msg, "cannot open " + (dir / "absent.h5") + " to copy it to " + to +
                     ": No such file or directory");
  EXPECT_EQ(read_file(to), "kept");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(CopyFileAtomic, UnreadableSourceLeavesNoTemp) {
  TempDir dir;
  fs::create_directories(dir / "a_folder");
  const std::string to = dir / "out";
  const std::string msg = error_of([&] { copy_file_atomic(dir / "a_folder", to); });
  EXPECT_EQ(msg.rfind("cannot read " + (dir / "a_folder"), 0), 0u) << msg;
  EXPECT_FALSE(fs::exists(to));
  EXPECT_EQ(dir.entries(), 1u);  // only a_folder
}

TEST(ReplaceFileNoSync, ReplacesWholeAndLeavesNoTemp) {
  TempDir dir;
  const std::string path = dir / "rank-0";
  for (int step = 0; step < 50; ++step) {
    const std::string line = "{\"step\": " + std::to_string(step) + "}\n";
    replace_file_no_sync(path, line);
    EXPECT_EQ(read_file(path), line);
  }
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(ReplaceFileNoSync, FailuresAreNamed) {
  TempDir dir;
  const std::string path = dir / "no/such/folder/rank-0";
  const std::string msg = error_of([&] { replace_file_no_sync(path, "x"); });
  EXPECT_EQ(msg.rfind("cannot create a temp file for " + path, 0), 0u) << msg;
  // A folder where the file should be: the rename fails, and the temp file is removed.
  fs::create_directories(dir / "heartbeat");
  const std::string rename_msg = error_of([&] { replace_file_no_sync(dir / "heartbeat", "x"); });
  EXPECT_EQ(rename_msg.rfind("cannot rename ", 0), 0u) << rename_msg;
  EXPECT_NE(rename_msg.find(" to " + (dir / "heartbeat")), std::string::npos) << rename_msg;
  EXPECT_EQ(dir.entries(), 1u);  // heartbeat/ only
}

TEST(AtomicFile, TwoAtOnceGetDistinctTemps) {
  TempDir dir;
  const std::string path = dir / "x";
  AtomicFile a(path), b(path);
  EXPECT_EQ(dir.entries(), 2u);
}

}  // namespace
}  // namespace bertgrid
