// The embedding stage, shared by `bertgrid run` and `bertgrid embed`: the frozen encoder runs
// once over train (with any validation rows) and test, sentences sharded across all ranks in
// whole length-sorted batches, pooled for each of the config's strategies, gathered to rank 0
// and written to one embeddings.h5 (/train/<S>, /test/<S>, labels, file_ids; attributes model,
// pooling, padding, precision, max_length, fingerprint, and fingerprint_inputs: the
// fingerprint's inputs field by field, as JSON). A file is reused when its fingerprint (weights,
// vocab, max_length, data files, label map, pooling, padding, precision, strategy set) matches.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "dist/world.h"
#include "jobs/data.h"
#include "train/execution.h"

namespace bertgrid::jobs {

// Where the stage's file lives.
struct EmbeddingTarget {
  std::string path;  // written here; reused when its fingerprint matches
  // When set (`run --embeddings FILE`): used in place of `path`, never written; the stage fails,
  // naming the fingerprint fields that differ, unless its fingerprint matches.
  std::string given;
};

struct EmbeddingStageResult {
  std::string path;  // the file the jobs read: target.given when set, else target.path
  std::string fingerprint;
  bool cache_hit = false;
  int64_t forwards = 0;  // encoder forward passes over all ranks (0 on a cache hit)
  double seconds = 0;
  std::vector<std::string> warnings;  // rank 0's: e.g. an unreadable file computed again
};

// Called on rank 0 after each of its batches: (split "train" or "test", batches done, total).
using EmbeddingProgress = std::function<void(const std::string&, int64_t, int64_t)>;

// Collective over the world. `data_dir` names the dataset files for the fingerprint; the
// encoder runs on exec.device, under bfloat16 autocast when exec.bf16.
EmbeddingStageResult run_embedding_stage(const RunConfig& cfg, const PreparedData& data,
                                         const std::string& data_dir, const EmbeddingTarget& target,
                                         const dist::World& world, const train::Execution& exec,
                                         const EmbeddingProgress& progress = {});

}  // namespace bertgrid::jobs
