// CUDA graphs of the training step: the task's zeroing, forward and backward, one graph per
// batch shape, and the optimiser half (clipping, the step status, fused AdamW), one graph for
// all shapes; a group's gradient all-reduce runs between the two, outside any graph. The training
// step on a GPU is launch-bound (about a thousand small kernels for distilbert-base at batch 16); a
// graph replays all of them with one launch. The first batch of each shape runs eagerly once
// (warm-up: lazy initialisation such as cuBLAS workspaces happens outside the capture), is then
// captured on a side stream, and every batch of that shape after it is copied into the graph's
// fixed input tensors and replayed. The graphs of one trainer share one memory pool (they never
// run at once, and each one's outputs are kept alive), so memory grows with the largest shape,
// not with the number of shapes.
//
// Needs libtorch built with CUDA (BERTGRID_TORCH_CUDA); elsewhere constructing one throws.
// Dropout draws from the CUDA generator through torch's graph-safe Philox offsets, so a graphed
// run is not bitwise the eager run (different draws), only the same computation.
#pragma once

#include <torch/types.h>

#include <cstddef>
#include <functional>
#include <memory>

#include "train/flat_params.h"
#include "train/training_task.h"

namespace bertgrid::train {

class StepGraphs {
 public:
  // The task's module must live on `device` (CUDA) with its parameters packed in `flat`.
  // Throws bertgrid::Error when this bertgrid was built without libtorch's CUDA or the device is
  // not a GPU.
  StepGraphs(TrainingTask& task, FlatParams& flat, torch::Device device, bool bf16);
  ~StepGraphs();
  StepGraphs(const StepGraphs&) = delete;
  StepGraphs& operator=(const StepGraphs&) = delete;

  // flat's grads zeroed, then the loss sum of `host_inputs` (TrainingTask::inputs) and the
  // gradient of loss_sum / global_n accumulated into the grads, through the graph of the
  // inputs' shapes (captured on first use). Returns the loss sum, float32 [1] on the device: the
  // graph's own output tensor, overwritten by the next call with the same shapes.
  torch::Tensor forward_backward(const TaskInputs& host_inputs, double global_n);

  // The optimiser half of a step: `body` runs eagerly the first time (warm-up), is captured the
  // second and replayed from then on. It must read only device tensors that outlive the trainer's
  // steps (inputs refreshed in place before each call).
  void update(const std::function<void()>& body);

  size_t captured() const;  // shapes captured so far
  static bool available();  // built against libtorch with CUDA

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertgrid::train
