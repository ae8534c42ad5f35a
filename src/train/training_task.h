// What a job hands the trainer: a model, the number of training rows, and its loss in two
// halves (the rows' inputs on the host, the loss over those inputs on the device), so that the
// trainer moves the inputs and may capture the loss and its backward as a CUDA graph per shape.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace bertgrid::train {

// A batch as a task's loss takes it: its tensors (token ids, masks, labels, row indices...).
using TaskInputs = std::vector<torch::Tensor>;

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;
  virtual torch::nn::Module& module() = 0;
  virtual int64_t num_train() const = 0;
  // These training rows' inputs, as CPU tensors whose shapes depend only on the batch's shape
  // (rows, padded length), never on the values.
  virtual TaskInputs inputs(const std::vector<int64_t>& rows) = 0;
  // Sum (not mean) of the cross-entropy over a batch given as inputs() on the model's device,
  // with dropout as configured. Must not read values back to the host (CUDA graph capture).
  virtual torch::Tensor loss_sum(const TaskInputs& inputs) = 0;
  // Each training row's length in tokens, for length-grouped batches; empty: rows have none.
  virtual std::vector<int64_t> lengths() const { return {}; }
};

// The task's loss sum over device inputs (under bfloat16 autocast when `bf16`) and its backward:
// the gradient of loss_sum / divisor (a float32 scalar tensor: the global batch size) is
// accumulated into the parameters' grads. Returns the loss sum, detached, as float32 [1]. Nothing
// waits for the device, so the same call runs eagerly or inside a CUDA graph capture.
torch::Tensor loss_and_backward(TrainingTask& task, const TaskInputs& inputs, bool bf16,
                                const torch::Tensor& divisor);

}  // namespace bertgrid::train
