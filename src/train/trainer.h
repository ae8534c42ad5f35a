// The training loop with HuggingFace Trainer semantics, for any job: seeded per-epoch shuffle,
// global batches split into per-rank shares, gradient sum over the group (one all-reduce of the
// flat buffer), grad-norm clipping, AdamW with decoupled weight decay, linear warmup and decay.
// The job supplies the model and the loss over a set of rows (TrainingTask); the trainer owns
// the order of the data, the optimiser state, the step history and checkpoints of all of it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/choices.h"
#include "core/error.h"
#include "dist/allreduce.h"
#include "train/adamw.h"
#include "train/execution.h"
#include "train/flat_params.h"
#include "train/schedule.h"
#include "train/step_graphs.h"
#include "train/step_status.h"
#include "train/training_task.h"

namespace bertgrid::train {

struct TrainerSettings {
  int64_t epochs = 1;
  int64_t batch_size = 16;
  double learning_rate = 5e-5;
  double weight_decay = 0.01;
  int64_t warmup_steps = 0;  // absolute; resolve a warmup ratio with warmup_from_ratio first
  double max_grad_norm = 1.0;
  uint64_t data_seed = 0;
  int64_t logging_steps = 10;
  int64_t max_steps = 0;  // > 0: the schedule's total steps (HF max_steps) instead of the epochs'
  bool group_by_length = false;  // HF's length-grouped order (needs TrainingTask::lengths)
  // Where the steps run and how: bf16 autocast of the task's loss, the fused AdamW kernel, CUDA
  // graphs, the host-to-device copies of the inputs.
  Execution exec;
};

// One line of the step history: every `logging_steps` steps a "train" entry (mean loss since the
// last entry, the rate and pre-clip grad norm of the last step), and an "eval" entry per epoch
// added by the job.
struct HistoryEntry {
  HistoryKind kind = HistoryKind::kTrain;
  int64_t step = 0;  // optimiser steps done
  double epoch = 0;  // fractional epoch
  double loss = 0;
  double lr = 0;
  double grad_norm = 0;
};

// A step as the host knows it. step() reads nothing back, so its loss and norm are NaN; sync()
// gives the last step's.
struct StepResult {
  double loss = std::numeric_limits<double>::quiet_NaN();       // mean cross-entropy, global batch
  double grad_norm = std::numeric_limits<double>::quiet_NaN();  // before clipping
  double lr = 0;                                                // the rate this step used
};

// Where the trainer stands: enough, with the weights and AdamW state, to resume exactly.
struct TrainerPosition {
  int64_t step = 0;   // optimiser steps done
  int64_t epoch = 0;  // current epoch (0-based)
  int64_t batch = 0;  // next batch within the epoch's shuffled order
  double loss_since_log = 0;
  int64_t steps_since_log = 0;
};

// Thrown by sync() on every rank of a group when a step since the last sync was bad (an
// exception or a non-finite loss on some rank, a non-finite gradient): every rank takes part in
// each step's collectives until then, and the status all-reduce tells all of them the same
// first bad step. The cause says where the failure happened: on this rank (the message is its
// own error) or only on other ranks of the group (the message says how many).
class StepFailed : public Error {
 public:
  enum class Cause { kLocal, kRemote };
  StepFailed(const std::string& what, Cause cause) : Error(what), cause_(cause) {}
  Cause cause() const { return cause_; }
  bool local() const { return cause_ == Cause::kLocal; }

 private:
  Cause cause_;
};

class Trainer {
 public:
  // `reducer` sums gradients over the group (nullptr: a group of one). group_rank/group_size
  // choose this rank's share of each global batch.
  Trainer(TrainingTask& task, const TrainerSettings& settings, dist::Allreduce* reducer = nullptr,
          int group_rank = 0, int group_size = 1);

  // Trains until every epoch is done (returns true) or until `stop_requested` answers true at a
  // step boundary (returns false; the position says where to resume). `on_epoch_end(epoch)` runs
  // after each completed epoch (evaluation, checkpoints). `on_step` runs after each step.
  bool run(const std::function<bool()>& stop_requested = nullptr,
           const std::function<void(int64_t epoch)>& on_epoch_end = nullptr,
           const std::function<void(const StepResult&)>& on_step = nullptr);

  // One optimiser step on a global batch of training rows (this rank computes its share). The
  // host does not wait for the device: the step's loss and health stay there until sync(), and
  // once a step was bad every later update is skipped on the device. An exception in this
  // rank's share is kept for sync(); until then the rank goes on taking part in the collectives.
  StepResult step(const std::vector<int64_t>& global_batch);
  // Reads back the steps since the last sync in one copy: throws StepFailed, naming the first
  // bad step, if there was one; else adds their losses to the position and returns the last
  // step's loss, norm and rate. run() syncs at logging steps, before each epoch's end callback
  // and before it returns.
  StepResult sync();
  // The number of the step being computed, on the device (0-dim int64), set before its forward
  // pass: what a fault injected into the step's graph compares with.
  const torch::Tensor& device_step() const { return device_step_; }

  int64_t total_steps() const { return schedule_.total_steps(); }
  const TrainerPosition& position() const { return position_; }
  std::vector<HistoryEntry>& history() { return history_; }
  FlatParams& flat() { return *flat_; }
  AdamW& optimizer() { return *adamw_; }
  const TrainerSettings& settings() const { return settings_; }
  // Examples this rank computed the loss on, over all steps so far (its share, not the batch).
  int64_t local_examples() const { return local_examples_; }
  // Batch shapes captured as CUDA graphs so far (0 without exec.cuda_graphs).
  size_t graphs_captured() const { return graphs_ ? graphs_->captured() : 0; }
  // Whether the optimiser half of the step runs as a graph too (cuda_graphs with fused AdamW
  // on a libtorch whose fused kernel takes the rate as a tensor).
  bool update_graphed() const { return graphed_update_; }

  // Restores a checkpointed position (weights and AdamW state are restored through flat() and
  // optimizer()).
  void restore(const TrainerPosition& position, std::vector<HistoryEntry> history,
               int64_t local_examples);

 private:
  TrainingTask& task_;
  TrainerSettings settings_;
  dist::Allreduce* reducer_;
  int group_rank_, group_size_;
  std::unique_ptr<FlatParams> flat_;
  std::unique_ptr<AdamW> adamw_;
  std::unique_ptr<StepGraphs> graphs_;  // exec.cuda_graphs only
  std::vector<int64_t> row_lengths_;    // group_by_length only
  LinearSchedule schedule_;
  TrainerPosition position_;
  std::vector<HistoryEntry> history_;
  int64_t local_examples_ = 0;
  torch::Tensor status_;  // [loss sum, failed ranks, examples], summed over the group each step
  StepStatus health_;
  torch::Tensor device_step_;
  // The steps since the last sync: the group's loss sums (on the device) and batch sizes, the
  // last step's norm; and what sync last returned.
  std::vector<torch::Tensor> pending_losses_;
  std::vector<double> pending_sizes_;
  torch::Tensor last_norm_;  // 0-dim, refreshed in place each step
  torch::Tensor own_loss_;   // [1]: this rank's loss sum this step (0 when it computed none)
  bool graphed_update_ = false;
  StepResult synced_;
  // This rank's own failure (an exception in its share), kept for sync.
  std::string host_failure_;
  int64_t host_failure_step_ = -1;

  // This rank's loss sum over its rows (float32 [1] on the device), its backward queued with
  // the gradient of loss_sum / global_n accumulated into the flat grads.
  torch::Tensor forward_backward(const std::vector<int64_t>& rows, double global_n);
  // The same, or undefined when the rank has no rows or has failed (then kept in host_failure_).
  torch::Tensor local_share(const std::vector<int64_t>& rows, double global_n);
  // status_ for this rank before the all-reduce.
  void fill_status(const torch::Tensor& local_loss, size_t rows);
  // After the all-reduces: the norm, the clip and the step status, device ops only.
  void clip_and_record();
  // The update at rate lr, skipped on the device after a bad step: eager, or as a graph.
  void update(double lr);
  StepFailed step_failure(const FirstBadStep& bad) const;
};

}  // namespace bertgrid::train
