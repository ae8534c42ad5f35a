#include "jobs/data.h"

#include <algorithm>

#include "text/dataset.h"
#include "train/validation_split.h"

namespace bertgrid::jobs {
namespace {

bool is_table(const std::string& split) {
  auto ends = [&](const std::string& ext) {
    return split.size() > ext.size() &&
           split.compare(split.size() - ext.size(), ext.size(), ext) == 0;
  };
  return ends(".csv") || ends(".jsonl");
}

TokenizedSplit tokenize(const std::string& name, const std::vector<text::Example>& examples,
                        const text::Tokenizer& tokenizer, size_t max_length) {
  TokenizedSplit s;
  s.name = name;
  for (const auto& ex : examples) {
    s.file_ids.push_back(ex.file_id);
    auto encoded = tokenizer.encode_truncated(ex.text, max_length);
    s.truncated.push_back(encoded.truncated);
    s.lengths.push_back(static_cast<int64_t>(encoded.ids.size()));
    s.ids.push_back(std::move(encoded.ids));
    s.labels.push_back(ex.label);
  }
  return s;
}

}  // namespace

TokenizedSplit TokenizedSplit::subset(const std::vector<int64_t>& rows,
                                      const std::string& new_name) const {
  TokenizedSplit s;
  s.name = new_name;
  for (int64_t r : rows) {
    const auto i = static_cast<size_t>(r);
    s.file_ids.push_back(file_ids[i]);
    s.ids.push_back(ids[i]);
    s.labels.push_back(labels[i]);
    s.lengths.push_back(lengths[i]);
    s.truncated.push_back(truncated[i]);
  }
  return s;
}

int64_t TokenizedSplit::truncated_count() const {
  return std::count(truncated.begin(), truncated.end(), 1);
}

PreparedData prepare_data(const RunConfig& cfg, const std::string& data_dir,
                          const text::Tokenizer& tokenizer, int64_t max_positions) {
  text::LabelMap labels;
  labels.entries = cfg.data.labels;
  auto read = [&](const std::string& split, int64_t limit) {
    auto examples = is_table(split) ? text::read_table(data_dir + "/" + split, labels)
                                    : text::read_vicomtech_split(data_dir, split, labels);
    if (limit > 0 && static_cast<int64_t>(examples.size()) > limit) examples.resize(limit);
    return examples;
  };
  const auto max_length = static_cast<size_t>(std::min(cfg.data.max_length, max_positions));
  PreparedData data;
  data.vocab_size = static_cast<int64_t>(tokenizer.vocab_size());
  data.pad_id = tokenizer.pad_id();
  data.train = tokenize(cfg.data.train_split, read(cfg.data.train_split, cfg.data.limit_train),
                        tokenizer, max_length);
  data.test = tokenize(cfg.data.test_split, read(cfg.data.test_split, cfg.data.limit_test),
                       tokenizer, max_length);
  if (cfg.data.validation_fraction > 0) {
    auto split = train::stratified_split(data.train.labels, cfg.data.validation_fraction,
                                         cfg.data.validation_seed);
    data.validation = data.train.subset(split.validation, "validation");
    data.train = data.train.subset(split.train, data.train.name);
  }
  return data;
}

DataFiles data_files(const RunConfig& cfg, const PreparedData& data, const std::string& data_dir) {
  DataFiles files;
  auto add_split = [&](const std::string& split, const TokenizedSplit& s) {
    if (split.find('.') != std::string::npos) {  // a .csv / .jsonl table
      files.emplace_back(split, data_dir + "/" + split);
      return;
    }
    for (const auto& id : s.file_ids)
      files.emplace_back(split + "/" + id + ".txt", data_dir + "/" + split + "/" + id + ".txt");
  };
  const bool tables = cfg.data.train_split.find('.') != std::string::npos;
  if (!tables)
    files.emplace_back("annotations_metadata.csv", data_dir + "/annotations_metadata.csv");
  TokenizedSplit train = data.train;
  if (data.validation) {
    const auto& v = *data.validation;
    train.file_ids.insert(train.file_ids.end(), v.file_ids.begin(), v.file_ids.end());
  }
  std::sort(train.file_ids.begin(), train.file_ids.end());
  add_split(cfg.data.train_split, train);
  add_split(cfg.data.test_split, data.test);
  return files;
}

}  // namespace bertgrid::jobs
