// embeddings.h5: the frozen-encoder sentence embeddings shared by every Head job.
// Layout (one group per split, e.g. /train and /test):
//   /<split>/<STRATEGY>  float32 [N, dim]   one per pooling strategy (CLS, LAST_MEAN, ...)
//   /<split>/labels      int32   [N]
//   /<split>/file_ids    variable-length UTF-8 strings [N]
//   root attributes: model, pooling, precision, fingerprint (strings), max_length (int64)
// Every split holds the same strategies with the same widths. Written atomically by rank 0.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bertgrid::io {

struct SplitEmbeddings {
  std::vector<std::string> file_ids;
  std::vector<int32_t> labels;
  std::map<std::string, torch::Tensor> by_strategy;  // [N, dim] float32 on the CPU
};

struct EmbeddingsFile {
  std::map<std::string, std::string> attrs_str;  // needs model, pooling, precision, fingerprint
  std::map<std::string, int64_t> attrs_int;      // needs max_length
  std::map<std::string, SplitEmbeddings> splits;
};

// Validates `file` (required attributes, shapes, dtypes) and writes it to `path` atomically.
void write_embeddings_h5(const std::string& path, const EmbeddingsFile& file);

// Reads and validates the whole file; errors name the path, the dataset and the shapes at fault.
EmbeddingsFile read_embeddings_h5(const std::string& path);

// The root string attribute `name`, or nullopt when the file is missing, unreadable or lacks it.
std::optional<std::string> read_root_string(const std::string& path, const std::string& name);
// The root "fingerprint" attribute (read_root_string(path, "fingerprint")).
std::optional<std::string> read_fingerprint(const std::string& path);

}  // namespace bertgrid::io
