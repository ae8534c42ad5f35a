// The device-side step status (see step_status.h).
#include "train/step_status.h"

#include <torch/torch.h>

namespace bertgrid::train {

StepStatus::StepStatus(const torch::TensorOptions& options)
    : first_(torch::zeros({kValues}, options)),
      bad_(torch::zeros({}, options.dtype(torch::kBool))) {}

void StepStatus::record(const torch::Tensor& step, const torch::Tensor& group_status,
                        const torch::Tensor& own_loss, const torch::Tensor& grad_norm) {
  torch::NoGradGuard no_grad;
  const auto failed = group_status.select(0, 1);
  const auto now_bad = (failed > 0).logical_or(torch::isfinite(grad_norm).logical_not());
  const auto one = torch::ones({}, first_.options());
  const auto now = torch::stack({one, step.to(first_.dtype()), failed,
                                 own_loss.reshape({1}).select(0, 0).to(first_.dtype()),
                                 grad_norm.to(first_.dtype())});
  // Only the first bad step is kept: later ones find the flag already set.
  first_.copy_(torch::where(now_bad.logical_and(bad_.logical_not()), now, first_));
  bad_.logical_or_(now_bad);
}

FirstBadStep StepStatus::decode(const double* v) {
  FirstBadStep f;
  f.any = v[0] != 0;
  f.step = static_cast<int64_t>(v[1]);
  f.failed_ranks = v[2];
  f.own_loss = v[3];
  f.grad_norm = v[4];
  return f;
}

}  // namespace bertgrid::train
