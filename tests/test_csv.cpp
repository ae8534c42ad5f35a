// Tests for text/csv: RFC 4180 quoting, line numbers across quoted newlines, and errors.
#include <gtest/gtest.h>

#include "core/error.h"
#include "text/csv.h"

using bertgrid::text::parse_csv;
using bertgrid::text::parse_csv_table;

namespace {

std::string error_of(const std::string& bytes) {
  try {
    parse_csv(bytes, "t.csv");
  } catch (const bertgrid::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Csv, ParsesQuotedFieldsAndLineNumbers) {
  const auto rows = parse_csv(
      "\xEF\xBB\xBF"
      "a,\"b,c\",\"d\"\"e\"\n\"multi\nline\",,\n\nlast",
      "t.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].line, 1u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"a", "b,c", "d\"e"}));
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"multi\nline", "", ""}));
  EXPECT_EQ(rows[2].line, 5u);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"last"}));
}

TEST(Csv, AcceptsCrlfAndKeepsLoneCarriageReturn) {
  const auto rows = parse_csv("x,y\r\n\"in\r\nside\",a\rb\r\n", "t.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"in\r\nside", "a\rb"}));
}

TEST(Csv, ReportsMalformedRecords) {
  EXPECT_EQ(error_of("a,b\n\"open,\n"), "t.csv line 2: unterminated quoted field 1");
  EXPECT_EQ(error_of("a\n\"x\"y,z\n"),
            "t.csv line 2: unexpected character after the closing quote of field 1");
  EXPECT_EQ(error_of("a,b\nc,d\"\n"),
            "t.csv line 2: quote inside unquoted field 2 (quote the whole field and write \"\" for "
            "\")");
}

TEST(Csv, TableChecksFieldCountsAndHeader) {
  const auto table = parse_csv_table("id,text\n1,\"a\nb\"\n2,c\n", "t.csv");
  EXPECT_EQ(table.header, (std::vector<std::string>{"id", "text"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[1].line, 4u);
  try {
    parse_csv_table("id,id\n1,2\n", "t.csv");
    FAIL() << "expected bertgrid::Error";
  } catch (const bertgrid::Error& e) {
    EXPECT_STREQ(e.what(), "t.csv line 1: duplicate column 'id'");
  }
  try {
    parse_csv_table("", "t.csv");
    FAIL() << "expected bertgrid::Error";
  } catch (const bertgrid::Error& e) {
    EXPECT_STREQ(e.what(), "t.csv: empty file, expected a header line");
  }
}

// Found by fuzz/fuzz_csv.cpp: a record ending in ',' at the very end of the input read one byte
// past it. The view ends before a '"' so the old code misread it as a quoted field and threw.
TEST(Csv, TrailingCommaAtEndOfInputIsAnEmptyLastField) {
  const std::string buffer = "a,b\n1,\"x";
  const auto rows = parse_csv(std::string_view(buffer).substr(0, 6), "t.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", ""}));
}
