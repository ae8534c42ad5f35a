#include "train/history_csv.h"

#include <charconv>
#include <cstdlib>
#include <sstream>

#include "core/error.h"

namespace bertgrid::train {
namespace {

constexpr const char* kEntryColumns = "kind,step,epoch,loss,lr,grad_norm";

void write_entry(std::ostream& out, const HistoryEntry& h) {
  out << to_string(h.kind) << ',' << h.step << ',' << h.epoch << ',' << h.loss << ',' << h.lr << ','
      << h.grad_norm << '\n';
}

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string::size_type start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    cells.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) return cells;
    start = comma + 1;
  }
}

int64_t integer_cell(const std::string& cell, const char* column) {
  int64_t value = 0;
  const auto end = cell.data() + cell.size();
  const auto res = std::from_chars(cell.data(), end, value);
  if (cell.empty() || res.ec != std::errc() || res.ptr != end)
    throw Error(std::string(column) + " '" + cell + "' is not an integer");
  return value;
}

double real_cell(const std::string& cell, const char* column) {
  char* end = nullptr;
  const double value = std::strtod(cell.c_str(), &end);
  if (cell.empty() || end != cell.c_str() + cell.size())
    throw Error(std::string(column) + " '" + cell + "' is not a number");
  return value;
}

// The entry in cells[first..first+5].
HistoryEntry parse_entry(const std::vector<std::string>& cells, size_t first) {
  HistoryEntry h;
  h.kind = choice_from_string<HistoryKind>(cells[first]);
  h.step = integer_cell(cells[first + 1], "step");
  h.epoch = real_cell(cells[first + 2], "epoch");
  h.loss = real_cell(cells[first + 3], "loss");
  h.lr = real_cell(cells[first + 4], "lr");
  h.grad_norm = real_cell(cells[first + 5], "grad_norm");
  return h;
}

// Calls on_row(cells) for each data row of `text`, whose first line must be `header`; errors
// name path:line.
template <typename OnRow>
void for_each_row(const std::string& text, const std::string& path, const std::string& header,
                  size_t columns, OnRow on_row) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != header)
    throw Error(path + ":1: header '" + line + "', expected '" + header + "'");
  for (int64_t line_no = 2; std::getline(in, line); ++line_no) {
    if (line.empty()) continue;
    try {
      const auto cells = split_cells(line);
      if (cells.size() != columns)
        throw Error(std::to_string(cells.size()) + " cells, expected " + std::to_string(columns));
      on_row(cells);
    } catch (const Error& e) {
      throw Error(path + ":" + std::to_string(line_no) + ": " + e.what() + " in '" + line + "'");
    }
  }
}

}  // namespace

std::string job_history_csv(const std::vector<HistoryEntry>& history) {
  std::ostringstream out;
  out.precision(9);
  out << kEntryColumns << '\n';
  for (const auto& h : history) write_entry(out, h);
  return out.str();
}

std::string run_history_csv(const std::vector<JobHistory>& jobs) {
  std::ostringstream out;
  out.precision(9);
  out << "job_id," << kEntryColumns << '\n';
  for (const auto& job : jobs)
    for (const auto& h : job.entries) {
      out << job.job_id << ',';
      write_entry(out, h);
    }
  return out.str();
}

std::vector<HistoryEntry> parse_job_history_csv(const std::string& text, const std::string& path) {
  std::vector<HistoryEntry> out;
  for_each_row(text, path, kEntryColumns, 6, [&](const std::vector<std::string>& cells) {
    out.push_back(parse_entry(cells, 0));
  });
  return out;
}

std::map<std::string, std::vector<HistoryEntry>> parse_run_history_csv(const std::string& text,
                                                                       const std::string& path) {
  std::map<std::string, std::vector<HistoryEntry>> out;
  for_each_row(text, path, std::string("job_id,") + kEntryColumns, 7,
               [&](const std::vector<std::string>& cells) {
                 out[cells[0]].push_back(parse_entry(cells, 1));
               });
  return out;
}

}  // namespace bertgrid::train
