// Tests for core/file_read: every byte, whatever the size stat reports, and errors that name the
// file, what it is and why.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "core/file_read.h"
#include "tests/support.h"

namespace bertgrid {
namespace {

std::string error_of(const std::string& path, std::string_view what) {
  try {
    read_file(path, what);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FileRead, ReturnsEveryByte) {
  const testing::TempDir dir;
  const std::string bytes("a\0b\r\nc\xFF", 7);
  EXPECT_EQ(read_file(dir.write("small.bin", bytes)), bytes);
  EXPECT_EQ(read_file(dir.write("empty", "")), "");
  std::string big;
  for (int i = 0; i < 200000; ++i) big += static_cast<char>(i * 7 % 251);  // several 64 KiB chunks
  EXPECT_EQ(read_file(dir.write("big.bin", big)), big);
}

TEST(FileRead, ReadsFilesWhoseSizeStatDoesNotKnow) {
  // /proc files report size 0 but have contents: read to end of file, not to st_size.
  const std::string status = read_file("/proc/self/status");
  EXPECT_EQ(status.rfind("Name:", 0), 0u) << status.substr(0, 40);
  EXPECT_NE(status.find("\nPid:"), std::string::npos);
}

TEST(FileRead, ErrorsNameTheFileWhatItIsAndWhy) {
  const testing::TempDir dir;
  EXPECT_EQ(error_of(dir / "absent.toml", "the config file"),
            dir / "absent.toml" + ": cannot open the config file: No such file or directory");
  EXPECT_EQ(error_of(dir / "absent.txt", ""),
            dir / "absent.txt" + ": cannot open: No such file or directory");
  std::filesystem::create_directories(dir / "folder");
  EXPECT_EQ(error_of(dir / "folder", "the vocabulary file"),
            dir / "folder" + ": cannot read the vocabulary file: Is a directory");
}

}  // namespace
}  // namespace bertgrid
