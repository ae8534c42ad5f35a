// AdamW over FlatParams' flat buffers, with the arithmetic of PyTorch 2.x's torch.optim.AdamW
// (single-tensor path, the one CPU float32 uses) so that runs reproduce HF Trainer's numbers.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace bertgrid::train {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  // torch's fused AdamW kernel (compat::fused_adamw; libtorch >= 2.1) instead of the ops below:
  // the same update up to float rounding, in a few launches instead of one per op and chunk.
  bool fused = false;
};

// Serialisable optimizer state (for checkpoints): both moments are flat like the params.
struct AdamWState {
  torch::Tensor exp_avg;
  torch::Tensor exp_avg_sq;
  int64_t step = 0;  // number of step() calls so far
};

class AdamW {
 public:
  // params, grads: the flat buffers (FlatParams::params()/grads()); decay_mask: 1 where weight
  // decay applies, 0 elsewhere (FlatParams::decay_mask()). All share shape, dtype and device.
  // The mask is read once, here: later changes to it are not seen.
  AdamW(torch::Tensor params, torch::Tensor grads, torch::Tensor decay_mask, AdamWOptions options);

  // One update at learning rate lr (the scheduled rate for this step; 0 is a real step: the
  // counter and moments advance, the params do not move). Per element, with t = ++step:
  //   p *= 1 - lr*wd*mask
  //   m  = lerp(m, g, 1-beta1);  v = v*beta2 + (1-beta2)*g*g
  //   p += -(lr / (1-beta1^t)) * m / (sqrt(v) / sqrt(1-beta2^t) + eps)
  // Each line is one in-place ATen op, as in PyTorch; on the CPU the buffers are walked in
  // cache-sized chunks (all lines per chunk), on CUDA in one piece; the decay touches only the
  // mask's runs of 1. Neither changes a value (the ops are elementwise; multiplying by 1 is
  // exact), only memory traffic and the number of kernel launches.
  //
  // `skip` (0-dim bool on the params' device, or undefined): when true the step leaves params
  // and moments as they were (a skipped step is for a job about to fail: on CUDA the step count
  // still advances). On CUDA nothing is read back for it: the fused kernel
  // takes it as its found_inf input, the unfused update selects the old values back with
  // torch.where. On the CPU, where no device queue is waiting, it is simply looked at, and the
  // count stays too.
  void step(double lr, const torch::Tensor& skip = {});

  // The fused update with nothing depending on host values, for a CUDA graph of the whole step
  // (fused options only; needs compat::kHasFusedAdamWTensorLr): prepare_device_step(lr) sets
  // the rate and the step count on the device (outside the graph, before each replay), then
  // device_step(skip) queues the kernels, which a graph may capture.
  static bool device_step_available();
  void prepare_device_step(double lr);
  void device_step(const torch::Tensor& skip);

  const AdamWOptions& options() const { return options_; }
  const AdamWState& state() const { return state_; }
  // Restores a checkpointed state; the moments are copied into the existing buffers.
  // Throws bertgrid::Error if their shapes differ or step is negative.
  void load_state(const AdamWState& state);

 private:
  torch::Tensor params_;
  torch::Tensor grads_;
  void fused_step(double lr, const torch::Tensor& skip);
  void unfused_step(double lr);

  // The fused kernel's tensor lists for one decay group, views into the flat buffers made once.
  struct FusedGroup {
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    double weight_decay = 0;
  };

  std::vector<torch::Tensor> decay_params_;  // views of params_ where the mask is 1
  std::vector<FusedGroup> fused_groups_;     // fused: the decayed runs, then the others
  int64_t chunk_ = 0;                        // elements per chunk of the update
  torch::Tensor denom_;                      // scratch for one chunk of the update's denominator
  torch::Tensor step_count_;  // fused kernel: the step number as a float32 scalar on the device
  torch::Tensor lr_;          // device_step: the rate as a float32 scalar on the device
  std::vector<torch::Tensor> kept_;  // unfused CUDA with skip: params and moments before the step
  AdamWOptions options_;
  AdamWState state_;
};

}  // namespace bertgrid::train
