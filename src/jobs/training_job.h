// The part every training job shares: train with the trainer (resuming from a checkpoint, saving
// one at each epoch end and on a stop request), evaluate each epoch and at the end on test,
// train and validation, and fill the job record. Fine-tune and head jobs differ only in the
// model and in how rows of a split become logits.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "jobs/job.h"

namespace bertgrid::jobs {

// A split as evaluation sees it.
struct EvalSplit {
  std::string name;
  std::vector<int64_t> labels;
  std::vector<int64_t> lengths;  // token counts, for length-sorted batches (may be empty)
  std::vector<std::string> file_ids;
  std::function<torch::Tensor(const std::vector<int64_t>&)> logits;  // rows -> [rows, 2]
};

struct TrainingJobParts {
  train::TrainingTask* task = nullptr;
  EvalSplit train, test;
  std::optional<EvalSplit> validation;
  // Writes the trained model under `dir` (only called where outputs are written).
  std::function<void(const std::string& dir)> save_model;
};

// Thrown when the group agreed that the job's checkpoint is damaged and set it aside (*.corrupt):
// the model was partly overwritten, so the job must start again on a rebuilt one (run_job).
class CheckpointSetAside : public Error {
 public:
  using Error::Error;
};

JobOutcome run_training_job(const JobSpec& spec, const JobEnv& env, TrainingJobParts& parts);

}  // namespace bertgrid::jobs
