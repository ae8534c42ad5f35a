// TrainingTask: the loss under the run's precision, and its backward.
#include "train/training_task.h"

#include "core/error.h"
#include "core/torch_compat.h"

namespace bertgrid::train {

torch::Tensor loss_and_backward(TrainingTask& task, const TaskInputs& inputs, bool bf16,
                                const torch::Tensor& divisor) {
  if (inputs.empty()) throw Error("loss_and_backward: the task gave no inputs");
  torch::Tensor loss_sum;
  {
    compat::AutocastScope autocast(inputs.front().device(), bf16);
    loss_sum = task.loss_sum(inputs);
  }
  torch::Tensor loss = loss_sum.detach().to(torch::kFloat32).reshape({1});
  (loss_sum / divisor).backward();
  return loss;
}

}  // namespace bertgrid::train
