// Tests for text/utf8: the validator accepts well-formed UTF-8 and reports the first bad offset.
#include <gtest/gtest.h>

#include "core/error.h"
#include "text/utf8.h"

using bertgrid::text::check_utf8;
using bertgrid::text::find_invalid_utf8;

TEST(Utf8, AcceptsOneToFourByteSequences) {
  EXPECT_EQ(find_invalid_utf8(""), std::nullopt);
  EXPECT_EQ(find_invalid_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"),
            std::nullopt);  // a, é, €, 😀, U+10FFFF
}

TEST(Utf8, RejectsOverlongForms) {
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);
  EXPECT_EQ(find_invalid_utf8("\xE0\x80\xAF"), 0u);
  EXPECT_EQ(find_invalid_utf8("x\xF0\x8F\xBF\xBF"), 1u);
}

TEST(Utf8, RejectsSurrogatesAndOutOfRange) {
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);        // U+D800
  EXPECT_EQ(find_invalid_utf8("ok\xF4\x90\x80\x80"), 2u);  // U+110000
  EXPECT_EQ(find_invalid_utf8("\xF5\x80\x80\x80"), 0u);
}

TEST(Utf8, RejectsStrayAndTruncatedSequences) {
  EXPECT_EQ(find_invalid_utf8("abc\x80"), 3u);           // lone continuation byte
  EXPECT_EQ(find_invalid_utf8("\xC3\xA9\xE2\x82"), 2u);  // truncated at the end
  EXPECT_EQ(find_invalid_utf8("\xE2\x82x"), 0u);         // bad continuation byte
}

TEST(Utf8, CheckNamesSourceAndOffset) {
  try {
    check_utf8("hello\xFFworld", "notes.txt");
    FAIL() << "expected bertgrid::Error";
  } catch (const bertgrid::Error& e) {
    EXPECT_STREQ(e.what(), "notes.txt: invalid UTF-8 at byte offset 5");
  }
}
