// What every job kind shares: its specification (one point of the grid), the environment it runs
// in (data, output folder, group, stop requests), and its outcome.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "dist/allreduce.h"
#include "io/job_record.h"
#include "jobs/data.h"
#include "jobs/job_context.h"
#include "train/execution.h"
#include "train/trainer.h"

namespace bertgrid::jobs {

struct JobSpec {
  std::string job_id;
  JobKind kind = JobKind::kFinetune;
  std::string strategy;  // head jobs: the embedding strategy
  int64_t epochs = 2;
  uint64_t init_seed = 42;
  uint64_t data_seed = 42;
  int64_t batch_size = 16;
  int64_t eval_batch_size = 32;
  double learning_rate = 5e-5;
  double weight_decay = 0.01;
  int64_t warmup_steps = 0;
  std::optional<double> warmup_ratio;  // when set: ceil(ratio * total_steps) (HF)
  double max_grad_norm = 1.0;
  int64_t logging_steps = 10;
  bool group_by_length = false;  // batches of similar-length rows (HF group_by_length)
};

// The spec of one job from a config section's hyperparameters, each list at index 0 unless the
// grid picks others.
JobSpec spec_from_config(JobKind kind, const TrainConfig& t);
// A readable, unique id: kind, strategy, and every hyperparameter that the grid varies.
std::string make_job_id(const JobSpec& spec);

// The warmup steps a job uses on `num_train` training rows: ceil(warmup_ratio * total steps) when
// the ratio is set (HF), else warmup_steps.
int64_t warmup_steps_used(const JobSpec& spec, int64_t num_train);
// A job's record with its header (job_id, kind, strategy, epochs, seeds, batch size, learning
// rate, weight decay, warmup steps used) from its spec; status and metrics left to fill in.
JobRecord record_header(const JobSpec& spec, int64_t num_train);

struct JobEnv {
  const RunConfig* config = nullptr;
  const PreparedData* data = nullptr;
  std::string job_dir;        // this job's outputs (record, history, predictions, model)
  bool write_outputs = true;  // false on every rank of a group but its first
  dist::Allreduce* reducer = nullptr;
  int group_rank = 0, group_size = 1;
  train::Execution exec;  // device, precision and the speed switches
  JobContext context;     // seeding, stop requests, heartbeats, progress: the process's state
  bool resume = false;    // continue from job_dir/checkpoint.safetensors when present
  // Called with (step, the step on the device, this rank's loss sum) inside each training step's
  // loss; tests inject failures through it: a throw (host code, at `step`), or a NaN loss, which
  // the step computes on the device from device_step, so that a captured graph does it too.
  // Null in real runs.
  std::function<void(int64_t step, const torch::Tensor& device_step, torch::Tensor& loss_sum)>
      fault;
  // Called with (step, path) before each checkpoint write; tests kill the process in the middle
  // of one through it. Null in real runs.
  std::function<void(int64_t step, const std::string& path)> checkpoint_fault;
};

struct JobOutcome {
  JobRecord record;
  std::vector<train::HistoryEntry> history;
  bool stopped = false;        // stopped at a step boundary on request, with a checkpoint
  int64_t local_examples = 0;  // training examples this rank computed
  int64_t resumed_from_step = 0;
  double evaluation_seconds = 0;      // of the job's time: evaluations (each epoch's and the final)
  double outputs_seconds = 0;         // and writing its files (record, history, predictions, model)
  std::vector<std::string> warnings;  // recoveries, e.g. a damaged checkpoint set aside
};

}  // namespace bertgrid::jobs
