#include "train/trainer.h"

#include <cmath>

#include "train/batching.h"
#include "train/clip.h"

namespace bertgrid::train {

Trainer::Trainer(TrainingTask& task, const TrainerSettings& settings, dist::Allreduce* reducer,
                 int group_rank, int group_size)
    : task_(task),
      settings_(settings),
      reducer_(reducer),
      group_rank_(group_rank),
      group_size_(group_size),
      flat_(std::make_unique<FlatParams>(task.module())),
      schedule_(settings.learning_rate, settings.warmup_steps,
                settings.max_steps > 0
                    ? settings.max_steps
                    : train::total_steps(task.num_train(), settings.batch_size, settings.epochs)) {
  AdamWOptions options;
  options.weight_decay = settings.weight_decay;
  options.fused = settings.exec.fused_adamw;
  adamw_ = std::make_unique<AdamW>(flat_->params(), flat_->grads(), flat_->decay_mask(), options);
  if (settings.exec.cuda_graphs)
    graphs_ =
        std::make_unique<StepGraphs>(task, *flat_, flat_->params().device(), settings.exec.bf16);
  status_ = torch::zeros({3}, flat_->params().options());
  if (settings.group_by_length) {
    row_lengths_ = task.lengths();
    if (static_cast<int64_t>(row_lengths_.size()) != task.num_train())
      throw Error("group_by_length: the task gives " + std::to_string(row_lengths_.size()) +
                  " row lengths for " + std::to_string(task.num_train()) + " training rows");
  }
}

torch::Tensor Trainer::forward_backward(const std::vector<int64_t>& rows, double global_n) {
  const TaskInputs host = task_.inputs(rows);
  if (graphs_) return graphs_->forward_backward(host, global_n);
  TaskInputs inputs;
  for (const auto& t : host) inputs.push_back(settings_.exec.to_device(t));
  // Backward is queued before anything looks at the loss, so the host never waits for the
  // device here; a non-finite loss is caught from the step's status, before any update. (A
  // float32 CPU scalar divides a tensor on any device exactly as the number itself would.)
  return loss_and_backward(task_, inputs, settings_.exec.bf16,
                           torch::scalar_tensor(global_n, torch::kFloat32));
}

StepResult Trainer::step(const std::vector<int64_t>& global_batch) {
  const auto local_rows = shard_batch(global_batch, group_rank_, group_size_);
  const double global_n = static_cast<double>(global_batch.size());
  flat_->zero_grad();

  // This rank's share: the loss sum over its rows, divided by the global batch size, so that the
  // summed gradient is the gradient of the batch mean. A failure here is not thrown yet: the
  // group must first learn of it through the status all-reduce.
  std::string failure;
  torch::Tensor local_loss;  // this rank's loss sum: one float32 on the device
  try {
    if (!local_rows.empty()) {
      local_loss = forward_backward(local_rows, global_n);
      flat_->check_views();
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // The status, built on the device: [loss sum (0 when not finite), failed (1 when this rank
  // threw or its loss is not finite), examples].
  if (failure.empty() && local_loss.defined()) {
    const auto finite = torch::isfinite(local_loss);
    status_.narrow(0, 0, 1).copy_(torch::where(finite, local_loss, torch::zeros_like(local_loss)));
    status_.narrow(0, 1, 1).copy_(finite.logical_not());
  } else {
    status_[0] = 0.0;
    status_[1] = failure.empty() ? 0.0 : 1.0;
  }
  status_[2] = static_cast<double>(local_rows.size());
  if (reducer_) reducer_->sum(status_.data_ptr<float>(), 3);
  // One device-to-host copy per step: the group's status and this rank's own loss.
  const auto own = local_loss.defined() ? local_loss : torch::zeros({1}, status_.options());
  const auto status = torch::cat({status_, own}).to(torch::kCPU, torch::kDouble);
  const double failed = status[1].item<double>();
  if (failed > 0) {
    const double own_loss = status[3].item<double>();
    if (failure.empty() && local_loss.defined() && !std::isfinite(own_loss))
      failure = "loss is " + std::string(std::isnan(own_loss) ? "NaN" : "infinite");
    std::string what = "step " + std::to_string(position_.step) + ": ";
    if (!failure.empty()) throw StepFailed(what + failure, StepFailed::Cause::kLocal);
    throw StepFailed(
        what + std::to_string(static_cast<int>(failed)) + " other rank(s) of the group failed",
        StepFailed::Cause::kRemote);
  }
  if (reducer_) reducer_->sum(flat_->grads().data_ptr<float>(), flat_->numel());

  StepResult result;
  result.loss = status[0].item<double>() / global_n;
  // On CUDA the norm is read back only on logging steps (the only ones that record it), so the
  // host does not wait for the device; elsewhere it is NaN.
  const bool logged = (position_.step + 1) % settings_.logging_steps == 0;
  result.grad_norm =
      clip_grad_norm(*flat_, settings_.max_grad_norm, !flat_->params().is_cuda() || logged);
  result.lr = schedule_.lr(position_.step);
  adamw_->step(result.lr);
  local_examples_ += static_cast<int64_t>(local_rows.size());
  ++position_.step;
  return result;
}

bool Trainer::run(const std::function<bool()>& stop_requested,
                  const std::function<void(int64_t epoch)>& on_epoch_end,
                  const std::function<void(const StepResult&)>& on_step) {
  while (position_.epoch < settings_.epochs) {
    auto order = text::epoch_permutation(settings_.data_seed, position_.epoch, task_.num_train());
    if (settings_.group_by_length)
      order = text::length_grouped_order(order, row_lengths_, settings_.batch_size);
    const auto batches = text::make_batches(order, settings_.batch_size);
    while (position_.batch < static_cast<int64_t>(batches.size())) {
      if (settings_.max_steps > 0 && position_.step >= settings_.max_steps) return true;
      if (stop_requested && stop_requested()) return false;
      StepResult r = step(batches[static_cast<size_t>(position_.batch)]);
      ++position_.batch;
      position_.loss_since_log += r.loss;
      ++position_.steps_since_log;
      if (position_.step % settings_.logging_steps == 0) {
        const double epoch = static_cast<double>(position_.epoch) +
                             static_cast<double>(position_.batch) / batches.size();
        history_.push_back({HistoryKind::kTrain, position_.step, epoch,
                            position_.loss_since_log / position_.steps_since_log, r.lr,
                            r.grad_norm});
        position_.loss_since_log = 0;
        position_.steps_since_log = 0;
      }
      if (on_step) on_step(r);
    }
    // The position moves on before the callback, so a checkpoint written there resumes after it.
    const int64_t finished = position_.epoch;
    ++position_.epoch;
    position_.batch = 0;
    if (on_epoch_end) on_epoch_end(finished);
  }
  return true;
}

void Trainer::restore(const TrainerPosition& position, std::vector<HistoryEntry> history,
                      int64_t local_examples) {
  position_ = position;
  history_ = std::move(history);
  local_examples_ = local_examples;
}

}  // namespace bertgrid::train
