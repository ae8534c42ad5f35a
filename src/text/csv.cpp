#include "text/csv.h"

#include "core/error.h"

namespace bertgrid::text {
namespace {

std::string line_prefix(const std::string& where, std::size_t line) {
  return where + " line " + std::to_string(line) + ": ";
}

}  // namespace

std::vector<CsvRow> parse_csv(std::string_view bytes, const std::string& where) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  const std::size_t n = bytes.size();
  auto is_record_end = [&](std::size_t i) {
    return i >= n || bytes[i] == '\n' || (bytes[i] == '\r' && i + 1 < n && bytes[i + 1] == '\n');
  };
  // Consumes the record terminator at i (if any) and returns the index after it.
  auto skip_record_end = [&](std::size_t i) {
    if (i >= n) return i;
    return bytes[i] == '\r' ? i + 2 : i + 1;
  };

  std::vector<CsvRow> rows;
  std::size_t line = 1;
  std::size_t i = 0;
  while (i < n) {
    if (is_record_end(i)) {  // an empty line
      i = skip_record_end(i);
      ++line;
      continue;
    }
    CsvRow row;
    row.line = line;
    while (true) {
      std::string field;
      const std::size_t field_no = row.fields.size() + 1;
      if (i < n && bytes[i] == '"') {  // i == n: a trailing ',' left an empty last field
        ++i;
        while (true) {
          if (i >= n) {
            throw Error(line_prefix(where, row.line) + "unterminated quoted field " +
                        std::to_string(field_no));
          }
          const char c = bytes[i];
          if (c == '"') {
            if (i + 1 < n && bytes[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') ++line;
          field.push_back(c);
          ++i;
        }
        if (!is_record_end(i) && bytes[i] != ',') {
          throw Error(line_prefix(where, line) +
                      "unexpected character after the closing quote of field " +
                      std::to_string(field_no));
        }
      } else {
        while (!is_record_end(i) && bytes[i] != ',') {
          if (bytes[i] == '"') {
            throw Error(line_prefix(where, line) + "quote inside unquoted field " +
                        std::to_string(field_no) +
                        " (quote the whole field and write \"\" for \")");
          }
          field.push_back(bytes[i]);
          ++i;
        }
      }
      row.fields.push_back(std::move(field));
      if (i < n && bytes[i] == ',') {
        ++i;
        continue;  // another field follows, possibly empty
      }
      i = skip_record_end(i);
      ++line;
      break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

CsvTable parse_csv_table(std::string_view bytes, const std::string& where) {
  std::vector<CsvRow> rows = parse_csv(bytes, where);
  if (rows.empty()) throw Error(where + ": empty file, expected a header line");
  CsvTable table;
  table.header = std::move(rows.front().fields);
  for (std::size_t a = 0; a < table.header.size(); ++a) {
    for (std::size_t b = a + 1; b < table.header.size(); ++b) {
      if (table.header[a] == table.header[b]) {
        throw Error(line_prefix(where, rows.front().line) + "duplicate column '" + table.header[a] +
                    "'");
      }
    }
  }
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].fields.size() != table.header.size()) {
      throw Error(line_prefix(where, rows[r].line) + "expected " +
                  std::to_string(table.header.size()) + " fields, found " +
                  std::to_string(rows[r].fields.size()));
    }
    table.rows.push_back(std::move(rows[r]));
  }
  return table;
}

std::size_t csv_column(const CsvTable& table, const std::string& name, const std::string& where) {
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    if (table.header[c] == name) return c;
  }
  std::string found;
  for (const auto& h : table.header) found += (found.empty() ? "" : ", ") + h;
  throw Error(where + ": missing column '" + name + "' (columns: " + found + ")");
}

}  // namespace bertgrid::text
