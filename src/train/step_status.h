// The health of the training steps, kept on the device so that the host need not wait for it at
// every step. A step is bad when a rank of the group failed (an exception, a non-finite loss) or
// the summed gradient is not finite. The first bad step is kept with what made it bad, a flag
// stays set from then on, and the optimiser skips every update while it is set. The host reads
// it (Trainer::sync) at logging steps and before checkpoints, evaluations and an epoch's end.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace bertgrid::train {

// What the first bad step was, as the host reads it back.
struct FirstBadStep {
  bool any = false;
  int64_t step = 0;         // optimiser steps done before it
  double failed_ranks = 0;  // ranks of the group that threw or got a non-finite loss
  double own_loss = 0;      // this rank's loss sum (NaN, inf, or finite)
  double grad_norm = 0;     // the group's summed gradient's norm, before clipping
};

class StepStatus {
 public:
  // float32 tensors on the training device.
  explicit StepStatus(const torch::TensorOptions& options);

  // Step `step` (0-dim, on the device)'s verdict from the group's status [loss sum, failed
  // ranks, examples] (all-reduced), this rank's own loss sum ([1]) and the gradient norm (0-dim):
  // device ops only.
  void record(const torch::Tensor& step, const torch::Tensor& group_status,
              const torch::Tensor& own_loss, const torch::Tensor& grad_norm);

  // 0-dim bool: true once a step was bad. The optimiser's skip input.
  const torch::Tensor& bad() const { return bad_; }
  // float32 [kValues]: what read() decodes; for a caller that copies it back with other values.
  const torch::Tensor& values() const { return first_; }
  static constexpr int64_t kValues = 5;
  static FirstBadStep decode(const double* values);

 private:
  torch::Tensor first_;  // [bad, step, failed ranks, own loss, grad norm] of the first bad step
  torch::Tensor bad_;
};

}  // namespace bertgrid::train
