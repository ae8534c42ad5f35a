// manifest.json of a run: what ran, where, with which libraries and settings, how long start-up
// and the embedding stage took, and each job's placement.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "grid/results.h"
#include "grid/runner.h"
#include "jobs/embedding_stage.h"
#include "train/execution.h"

namespace bertgrid::grid {

// What the manifest reports beside the options and the results.
struct RunFacts {
  int world_size = 1, ranks_per_job = 1, threads_per_rank = 1;
  train::Execution exec;
  double cuda_init_seconds = 0;
  bool validation = false;
  jobs::EmbeddingStageResult embeddings;
  double seconds = 0;  // the run's time, start-up apart
  bool stopped = false;
  std::vector<std::string> warnings;  // rank 0's: every recovery of the run, said aloud
};

nlohmann::json run_manifest(const GridOptions& options, const RunFacts& facts,
                            const std::vector<JobResult>& results);

}  // namespace bertgrid::grid
