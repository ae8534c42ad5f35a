// The embedding stage of a grid run: the frozen encoder runs once over train (with any
// validation rows) and test, sentences sharded across all ranks in whole length-sorted batches,
// pooled for every strategy, gathered to rank 0 and written to RUN_DIR/embeddings.h5. A later
// run reuses the file when its fingerprint (weights, vocab, max_length, data files, label map,
// pooling, padding, precision) matches.
#pragma once

#include <string>

#include "core/config.h"
#include "jobs/data.h"
#include "dist/world.h"
#include "train/execution.h"

namespace bertgrid::jobs {

struct EmbeddingStageResult {
  std::string path;  // RUN_DIR/embeddings.h5
  std::string fingerprint;
  bool cache_hit = false;
  int64_t forwards = 0;  // encoder forward passes over all ranks (0 on a cache hit)
  double seconds = 0;
};

// Collective over the world. `data_dir` names the dataset files for the fingerprint; the
// encoder runs on exec.device, under bfloat16 autocast when exec.bf16.
EmbeddingStageResult run_embedding_stage(const RunConfig& cfg, const PreparedData& data,
                                         const std::string& data_dir, const std::string& run_dir,
                                         const dist::World& world, const train::Execution& exec);

}  // namespace bertgrid::jobs
