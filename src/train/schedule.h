// The learning-rate schedule of HF Trainer's default (get_linear_schedule_with_warmup): linear
// warmup from 0, then linear decay to 0; plus the step-count helpers that feed it.
#pragma once

#include <cstdint>

namespace bertgrid::train {

class LinearSchedule {
 public:
  // base_lr: the peak rate; warmup_steps >= 0; total_steps >= 0. Throws bertgrid::Error otherwise.
  LinearSchedule(double base_lr, int64_t warmup_steps, int64_t total_steps);

  // Multiplier for optimizer step s (0-based): s/max(1,warmup) while s < warmup, then
  // max(0, (total-s)/max(1, total-warmup)). Step 0 gives 0 whenever warmup > 0.
  double multiplier(int64_t step) const;
  // The rate used at step s: base_lr * multiplier(s), in double as PyTorch's LambdaLR.
  double lr(int64_t step) const { return base_lr_ * multiplier(step); }

  double base_lr() const { return base_lr_; }
  int64_t warmup_steps() const { return warmup_steps_; }
  int64_t total_steps() const { return total_steps_; }

 private:
  double base_lr_;
  int64_t warmup_steps_;
  int64_t total_steps_;
};

// HF TrainingArguments.get_warmup_steps: ceil(total * ratio), in double as Python computes it
// (so ratio 0.07 of 100 steps gives 8, as HF does, because 100*0.07 = 7.000000000000001).
int64_t warmup_from_ratio(double ratio, int64_t total_steps);

// Optimizer steps of a run: ceil(num_examples / batch_size) per epoch (last batch kept) * epochs.
int64_t total_steps(int64_t num_examples, int64_t batch_size, int64_t epochs);

// The original notebook's warmup: int(int(num_examples / batch_size * epochs) * ratio), both
// truncations in double. Differs from warmup_from_ratio; kept for reproducing the notebook.
int64_t notebook_warmup_steps(int64_t num_examples, int64_t batch_size, int64_t epochs,
                              double ratio);

}  // namespace bertgrid::train
