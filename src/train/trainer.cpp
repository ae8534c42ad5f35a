#include "train/trainer.h"

#include <cmath>
#include <sstream>

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
      health_(flat_->params().options()),
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
  device_step_ = torch::zeros({}, flat_->params().options().dtype(torch::kLong));
  last_norm_ = torch::zeros({}, flat_->params().options());
  own_loss_ = torch::zeros({1}, flat_->params().options());
  graphed_update_ = graphs_ && settings.exec.fused_adamw && AdamW::device_step_available();
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

torch::Tensor Trainer::local_share(const std::vector<int64_t>& rows, double global_n) {
  if (rows.empty() || !host_failure_.empty()) return {};
  try {
    auto loss = forward_backward(rows, global_n);
    flat_->check_views();
    return loss;
  } catch (const std::exception& e) {
    host_failure_ = e.what();
    host_failure_step_ = position_.step;
    return {};
  }
}

void Trainer::fill_status(const torch::Tensor& local_loss, size_t rows) {
  // [loss sum (0 when not finite), failed (1 when this rank threw or its loss is not finite),
  // examples], built on the device.
  if (local_loss.defined()) {
    const auto finite = torch::isfinite(local_loss);
    status_.narrow(0, 0, 1).copy_(torch::where(finite, local_loss, torch::zeros_like(local_loss)));
    status_.narrow(0, 1, 1).copy_(finite.logical_not());
  } else {
    status_[0] = 0.0;
    status_[1] = host_failure_.empty() ? 0.0 : 1.0;
  }
  status_[2] = static_cast<double>(rows);
}

StepResult Trainer::step(const std::vector<int64_t>& global_batch) {
  const auto local_rows = shard_batch(global_batch, group_rank_, group_size_);
  const double global_n = static_cast<double>(global_batch.size());
  if (!graphs_) flat_->zero_grad();  // a graph zeroes them itself
  device_step_.fill_(position_.step);

  // This rank's share: the loss sum over its rows, divided by the global batch size, so that the
  // summed gradient is the gradient of the batch mean. Then the group's status and gradient
  // sums, every step on every rank, whatever happened; then the update, which the device skips
  // once a step was bad.
  const torch::Tensor local_loss = local_share(local_rows, global_n);
  if (!local_loss.defined() && graphs_) flat_->zero_grad();
  fill_status(local_loss, local_rows.size());
  if (local_loss.defined()) {
    own_loss_.copy_(local_loss);
  } else {
    own_loss_.zero_();
  }
  if (reducer_) reducer_->sum(status_.data_ptr<float>(), 3);
  if (reducer_) reducer_->sum(flat_->grads().data_ptr<float>(), flat_->numel());
  pending_losses_.push_back(status_.narrow(0, 0, 1).clone());
  pending_sizes_.push_back(global_n);

  StepResult result;
  result.lr = schedule_.lr(position_.step);
  update(result.lr);
  local_examples_ += static_cast<int64_t>(local_rows.size());
  ++position_.step;
  return result;
}

void Trainer::clip_and_record() {
  last_norm_.copy_(clip_grad_norm_on_device(*flat_, settings_.max_grad_norm));
  health_.record(device_step_, status_, own_loss_, last_norm_);
}

void Trainer::update(double lr) {
  if (!graphed_update_) {
    clip_and_record();
    adamw_->step(lr, health_.bad());
    return;
  }
  // The graph reads the rate and step count from device scalars set here, outside it.
  adamw_->prepare_device_step(lr);
  graphs_->update([this] {
    clip_and_record();
    adamw_->device_step(health_.bad());
  });
}

StepFailed Trainer::step_failure(const FirstBadStep& bad) const {
  const std::string what = "step " + std::to_string(bad.step) + ": ";
  if (!host_failure_.empty() && host_failure_step_ == bad.step)
    return StepFailed(what + host_failure_, StepFailed::Cause::kLocal);
  if (!std::isfinite(bad.own_loss))
    return StepFailed(what + "loss is " + (std::isnan(bad.own_loss) ? "NaN" : "infinite"),
                      StepFailed::Cause::kLocal);
  if (bad.failed_ranks > 0)
    return StepFailed(what + std::to_string(static_cast<int>(bad.failed_ranks)) +
                          " other rank(s) of the group failed",
                      StepFailed::Cause::kRemote);
  std::ostringstream norm;
  norm << bad.grad_norm;
  return StepFailed(what + "the gradient is not finite (norm " + norm.str() + ")",
                    StepFailed::Cause::kLocal);
}

StepResult Trainer::sync() {
  if (pending_sizes_.empty()) return synced_;
  // One device-to-host copy: the first bad step's record, the last norm, the pending losses.
  std::vector<torch::Tensor> parts{health_.values(), last_norm_.view({1})};
  parts.insert(parts.end(), pending_losses_.begin(), pending_losses_.end());
  const auto host = torch::cat(parts).to(torch::kCPU, torch::kDouble).contiguous();
  const double* values = host.data_ptr<double>();
  const FirstBadStep bad = StepStatus::decode(values);
  if (bad.any) throw step_failure(bad);
  if (!host_failure_.empty())  // cannot happen: the failure made its step bad
    throw StepFailed("step " + std::to_string(host_failure_step_) + ": " + host_failure_,
                     StepFailed::Cause::kLocal);
  for (size_t i = 0; i < pending_sizes_.size(); ++i) {
    synced_.loss = values[StepStatus::kValues + 1 + i] / pending_sizes_[i];
    position_.loss_since_log += synced_.loss;
  }
  synced_.grad_norm = values[StepStatus::kValues];
  synced_.lr = schedule_.lr(position_.step - 1);  // the last step's rate
  pending_losses_.clear();
  pending_sizes_.clear();
  return synced_;
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
      if (settings_.max_steps > 0 && position_.step >= settings_.max_steps) {
        sync();
        return true;
      }
      if (stop_requested && stop_requested()) {
        sync();  // the checkpoint that follows holds only good steps
        return false;
      }
      StepResult r = step(batches[static_cast<size_t>(position_.batch)]);
      ++position_.batch;
      ++position_.steps_since_log;
      if (position_.step % settings_.logging_steps == 0) {
        r = sync();
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
    sync();  // before the callback's evaluation and checkpoint
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
