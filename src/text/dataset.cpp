#include "text/dataset.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/file_read.h"
#include "text/csv.h"
#include "text/utf8.h"

namespace bertgrid::text {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMetadataName = "annotations_metadata.csv";

// Sorts by file_id and rejects duplicates (`origin` names where each id came from).
void sort_unique(std::vector<Example>& examples, const std::map<std::string, std::string>& origin,
                 const std::string& where) {
  std::sort(examples.begin(), examples.end(),
            [](const Example& a, const Example& b) { return a.file_id < b.file_id; });
  for (std::size_t k = 1; k < examples.size(); ++k) {
    if (examples[k].file_id == examples[k - 1].file_id) {
      const auto it = origin.find(examples[k].file_id);
      throw Error(where + ": duplicate id '" + examples[k].file_id + "'" +
                  (it != origin.end() ? " (" + it->second + ")" : ""));
    }
  }
}

struct MetadataRow {
  std::string label;
  std::size_t line = 0;
};

std::map<std::string, MetadataRow> read_metadata(const std::string& path) {
  if (!fs::is_regular_file(path)) throw Error("dataset metadata not found: " + path);
  const std::string bytes = read_file(path);
  check_utf8(bytes, path);
  const CsvTable table = parse_csv_table(bytes, path);
  const std::size_t id_col = csv_column(table, "file_id", path);
  const std::size_t label_col = csv_column(table, "label", path);
  std::map<std::string, MetadataRow> rows;
  for (const auto& row : table.rows) {
    const std::string& id = row.fields[id_col];
    auto [it, inserted] = rows.emplace(id, MetadataRow{row.fields[label_col], row.line});
    if (!inserted) {
      throw Error(path + " line " + std::to_string(row.line) + ": duplicate file_id '" + id +
                  "' (first on line " + std::to_string(it->second.line) + ")");
    }
  }
  return rows;
}

std::vector<Example> read_csv_table(const std::string& path, const std::string& bytes,
                                    const LabelMap& labels) {
  const CsvTable table = parse_csv_table(bytes, path);
  const std::size_t id_col = csv_column(table, "id", path);
  const std::size_t text_col = csv_column(table, "text", path);
  const std::size_t label_col = csv_column(table, "label", path);
  std::vector<Example> examples;
  std::map<std::string, std::string> origin;
  for (const auto& row : table.rows) {
    const std::string where = path + " line " + std::to_string(row.line);
    const std::string& id = row.fields[id_col];
    if (id.empty()) throw Error(where + ": empty id");
    examples.push_back({id, row.fields[text_col], labels.at(row.fields[label_col], where)});
    origin.emplace(id, "first on line " + std::to_string(row.line));
  }
  sort_unique(examples, origin, path);
  return examples;
}

std::vector<Example> read_jsonl_table(const std::string& path, const std::string& bytes,
                                      const LabelMap& labels) {
  std::vector<Example> examples;
  std::map<std::string, std::string> origin;
  std::istringstream in(bytes);
  std::string line_text;
  std::size_t line = 0;
  while (std::getline(in, line_text)) {
    ++line;
    if (line_text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + " line " + std::to_string(line);
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line_text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range: 1e999
      throw Error(where + ": invalid JSON: " + e.what());
    }
    if (!record.is_object()) throw Error(where + ": expected a JSON object");
    for (const char* key : {"id", "text", "label"}) {
      if (!record.contains(key)) throw Error(where + ": missing key '" + key + "'");
    }
    std::string id;
    if (record["id"].is_string()) {
      id = record["id"].get<std::string>();
    } else if (record["id"].is_number_integer()) {
      id = record["id"].dump();
    } else {
      throw Error(where + ": 'id' must be a string or an integer, got " + record["id"].dump());
    }
    if (id.empty()) throw Error(where + ": empty id");
    if (!record["text"].is_string()) {
      throw Error(where + ": 'text' must be a string, got " + record["text"].dump());
    }
    if (!record["label"].is_string()) {
      throw Error(where + ": 'label' must be a string, got " + record["label"].dump());
    }
    examples.push_back({id, record["text"].get<std::string>(),
                        labels.at(record["label"].get<std::string>(), where)});
    origin.emplace(id, "first on line " + std::to_string(line));
  }
  sort_unique(examples, origin, path);
  return examples;
}

}  // namespace

int LabelMap::at(const std::string& label, const std::string& where) const {
  for (const auto& [name, index] : entries) {
    if (name == label) return index;
  }
  std::string names;
  for (const auto& entry : entries) names += (names.empty() ? "" : ", ") + entry.first;
  throw Error(where + ": label '" + label + "' is not one of: " + names);
}

std::vector<Example> read_vicomtech_split(const std::string& dataset_dir, const std::string& split,
                                          const LabelMap& labels) {
  if (!fs::is_directory(dataset_dir)) throw Error("dataset folder not found: " + dataset_dir);
  const std::string metadata_path = (fs::path(dataset_dir) / kMetadataName).string();
  const std::map<std::string, MetadataRow> metadata = read_metadata(metadata_path);

  const fs::path split_dir = fs::path(dataset_dir) / split;
  if (!fs::is_directory(split_dir)) throw Error("split folder not found: " + split_dir.string());
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(split_dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt")
      files.push_back(entry.path());
  }
  if (files.empty()) throw Error("split folder has no .txt files: " + split_dir.string());

  std::vector<Example> examples;
  examples.reserve(files.size());
  for (const auto& file : files) {
    const std::string path = file.string();
    const std::string file_id = file.stem().string();
    const auto row = metadata.find(file_id);
    if (row == metadata.end()) {
      throw Error(path + ": no row for file_id '" + file_id + "' in " + metadata_path);
    }
    std::string text = read_file(path);
    check_utf8(text, path);
    const std::string where = metadata_path + " line " + std::to_string(row->second.line) +
                              " (for " + file.filename().string() + ")";
    examples.push_back({file_id, std::move(text), labels.at(row->second.label, where)});
  }
  sort_unique(examples, {}, split_dir.string());  // ids are unique file names; sorts only
  return examples;
}

std::vector<Example> read_table(const std::string& path, const LabelMap& labels) {
  const std::string ext = fs::path(path).extension().string();
  if (ext != ".csv" && ext != ".jsonl") {
    throw Error(path + ": unsupported table extension '" + ext + "' (expected .csv or .jsonl)");
  }
  if (!fs::is_regular_file(path)) throw Error("table not found: " + path);
  const std::string bytes = read_file(path);
  check_utf8(bytes, path);
  std::vector<Example> examples =
      ext == ".csv" ? read_csv_table(path, bytes, labels) : read_jsonl_table(path, bytes, labels);
  if (examples.empty()) throw Error(path + ": no records");
  return examples;
}

}  // namespace bertgrid::text
