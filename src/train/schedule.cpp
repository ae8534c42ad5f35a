// LinearSchedule and step-count helpers (HF Trainer semantics).
#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace bertgrid::train {

LinearSchedule::LinearSchedule(double base_lr, int64_t warmup_steps, int64_t total_steps)
    : base_lr_(base_lr), warmup_steps_(warmup_steps), total_steps_(total_steps) {
  if (warmup_steps < 0 || total_steps < 0) {
    throw Error("LinearSchedule: warmup_steps " + std::to_string(warmup_steps) +
                " and total_steps " + std::to_string(total_steps) + " must be >= 0");
  }
}

double LinearSchedule::multiplier(int64_t step) const {
  if (step < warmup_steps_) {
    return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps_));
  }
  const double remaining = static_cast<double>(total_steps_ - step);
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps_ - warmup_steps_));
  return std::max(0.0, remaining / span);
}

int64_t warmup_from_ratio(double ratio, int64_t total_steps) {
  if (ratio < 0.0 || !std::isfinite(ratio)) {
    throw Error("warmup ratio " + std::to_string(ratio) + " must be finite and >= 0");
  }
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * ratio));
}

int64_t total_steps(int64_t num_examples, int64_t batch_size, int64_t epochs) {
  if (num_examples < 0 || batch_size <= 0 || epochs < 0) {
    throw Error("total_steps: need num_examples >= 0 (" + std::to_string(num_examples) +
                "), batch_size > 0 (" + std::to_string(batch_size) + "), epochs >= 0 (" +
                std::to_string(epochs) + ")");
  }
  return (num_examples + batch_size - 1) / batch_size * epochs;
}

int64_t notebook_warmup_steps(int64_t num_examples, int64_t batch_size, int64_t epochs,
                              double ratio) {
  if (batch_size <= 0) {
    throw Error("notebook_warmup_steps: batch_size " + std::to_string(batch_size) + " <= 0");
  }
  const double steps = static_cast<double>(num_examples) / static_cast<double>(batch_size) *
                       static_cast<double>(epochs);
  const auto truncated = static_cast<int64_t>(steps);
  return static_cast<int64_t>(static_cast<double>(truncated) * ratio);
}

}  // namespace bertgrid::train
