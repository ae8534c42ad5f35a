// RFC 4180 CSV parsing for the dataset readers: quoted fields may hold commas, newlines and ""
// (an escaped quote); records end in LF or CRLF; empty lines are skipped; a leading UTF-8 BOM is
// ignored. Errors name the source and the line where the offending record starts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bertgrid::text {

struct CsvRow {
  std::size_t line = 0;  // 1-based line on which the record starts
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // each has exactly header.size() fields
};

// All records of `bytes`. `where` names the source in error messages (usually the path).
std::vector<CsvRow> parse_csv(std::string_view bytes, const std::string& where);

// The first record is the header (non-empty, unique names); every later record must have as many
// fields as the header, else "<where> line N: expected K fields, found M".
CsvTable parse_csv_table(std::string_view bytes, const std::string& where);

// Index of column `name` in the header, else "<where>: missing column 'name' (columns: ...)".
std::size_t csv_column(const CsvTable& table, const std::string& name, const std::string& where);

}  // namespace bertgrid::text
