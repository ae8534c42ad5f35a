// The run's data, read and tokenized once: train and test splits (and a validation split carved
// from train when the config asks for one), as token ids ready for batching.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "text/tokenizer.h"

namespace bertgrid::jobs {

struct TokenizedSplit {
  std::string name;
  std::vector<std::string> file_ids;
  std::vector<std::vector<int32_t>> ids;  // [CLS] ... [SEP], truncated to max_length
  std::vector<int64_t> labels;
  std::vector<int64_t> lengths;
  std::vector<char> truncated;  // per sentence: was it cut to max_length?

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t truncated_count() const;
  TokenizedSplit subset(const std::vector<int64_t>& rows, const std::string& new_name) const;
};

struct PreparedData {
  TokenizedSplit train, test;
  std::optional<TokenizedSplit> validation;
  int64_t vocab_size = 0;  // of the tokenizer that made the ids
  int64_t pad_id = 0;
};

// Reads `data_dir` (Vicomtech layout; a split named *.csv or *.jsonl is read as a table from
// data_dir), applies the config's limits and validation split, tokenizes with truncation to
// min(data.max_length, max_positions).
PreparedData prepare_data(const RunConfig& cfg, const std::string& data_dir,
                          const text::Tokenizer& tokenizer, int64_t max_positions);

// Every data file that `data` was read from, each as a stable name (relative to data_dir, e.g.
// "sampled_train/12834217_1.txt", "annotations_metadata.csv", or a table's name) and its path:
// the annotations (Vicomtech layout), then the train and validation sentences sorted by id, then
// the test sentences. The embeddings' fingerprint and the run's recorded inputs digest them.
using DataFiles = std::vector<std::pair<std::string, std::string>>;
DataFiles data_files(const RunConfig& cfg, const PreparedData& data, const std::string& data_dir);

}  // namespace bertgrid::jobs
