// TrainingTask: the loss under the run's precision.
#include "train/training_task.h"

#include "core/error.h"
#include "core/torch_compat.h"

namespace bertgrid::train {

torch::Tensor task_loss(TrainingTask& task, const TaskInputs& inputs, bool bf16) {
  if (inputs.empty()) throw Error("task_loss: the task gave no inputs");
  compat::AutocastScope autocast(inputs.front().device(), bf16);
  return task.loss_sum(inputs);
}

}  // namespace bertgrid::train
