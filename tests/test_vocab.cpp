// Tests for text/vocab: reading vocab.txt from bytes (Vocab::parse) and from a file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "tests/support.h"
#include "text/vocab.h"

using bertgrid::text::Vocab;

TEST(Vocab, ParseSplitsLinesAndStripsCarriageReturns) {
  const Vocab v = Vocab::parse("[PAD]\r\n##ing\n\nrun", "v.txt");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v.token(0), "[PAD]");
  EXPECT_EQ(v.token(2), "");
  EXPECT_EQ(v.find("run"), 3);
  EXPECT_EQ(v.find_continuation("ing"), 1);
  EXPECT_EQ(v.find("walk"), Vocab::kMissing);
}

TEST(Vocab, RepeatedTokenMapsToItsLastLine) {
  const Vocab v = Vocab::parse("a\nb\na\n", "v.txt");
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(v.find("a"), 2);
}

TEST(Vocab, EmptyInputIsAnErrorNamingTheSource) {
  try {
    Vocab::parse("", "empty/vocab.txt");
    FAIL() << "no error";
  } catch (const bertgrid::Error& e) {
    EXPECT_STREQ(e.what(), "empty/vocab.txt: empty vocabulary (no tokens)");
  }
}

TEST(Vocab, FromFileMatchesParse) {
  const bertgrid::testing::TempDir dir;
  const Vocab v = Vocab::from_file(dir.write("vocab.txt", "x\r\ny\n"));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v.token(0), "x");
  EXPECT_EQ(v.find("y"), 1);
}
