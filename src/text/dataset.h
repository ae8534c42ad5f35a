// Dataset readers: the Vicomtech hate-speech layout (annotations_metadata.csv + <split>/*.txt) and
// user tables (.csv with id,text,label columns, or .jsonl of {"id","text","label"}).
// Records come back sorted by file_id, so every rank and every run sees the same order.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bertgrid::text {

struct Example {
  std::string file_id;
  std::string text;  // the file's bytes as-is (valid UTF-8; trailing newlines kept)
  int label = 0;
};

// Label names to class indices. The default matches the notebook: hate = 1, noHate = 0.
struct LabelMap {
  std::vector<std::pair<std::string, int>> entries = {{"hate", 1}, {"noHate", 0}};
  // The index of `label`; throws "<where>: label 'X' is not one of: hate, noHate".
  int at(const std::string& label, const std::string& where) const;
};

struct Split {
  std::string name;
  std::vector<Example> examples;
};

// DIR/annotations_metadata.csv (file_id,user_id,subforum_id,num_contexts,label) gives the labels
// of DIR/<split>/*.txt (file_id = the file name without ".txt").
std::vector<Example> read_vicomtech_split(const std::string& dataset_dir, const std::string& split,
                                          const LabelMap& labels);

// A .csv (header with id, text and label columns; others ignored) or .jsonl table, by extension.
std::vector<Example> read_table(const std::string& path, const LabelMap& labels);

}  // namespace bertgrid::text
