// AdamW: torch.optim.AdamW's update on flat buffers.
#include "train/adamw.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace bertgrid::train {

AdamW::AdamW(torch::Tensor params, torch::Tensor grads, torch::Tensor decay_mask,
             AdamWOptions options)
    : params_(std::move(params)),
      grads_(std::move(grads)),
      decay_mask_(std::move(decay_mask)),
      options_(options) {
  if (!params_.sizes().equals(grads_.sizes()) || !params_.sizes().equals(decay_mask_.sizes())) {
    throw Error("AdamW: params, grads and decay mask differ in shape");
  }
  state_.exp_avg = torch::zeros_like(params_);
  state_.exp_avg_sq = torch::zeros_like(params_);
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  const int64_t t = ++state_.step;
  const double beta1 = options_.beta1;
  const double beta2 = options_.beta2;

  // Decoupled decay as PyTorch does it, param.mul_(1 - lr*wd), but only where the mask is 1.
  // keep - 1 is exact in float32, so mask*(keep-1)+1 is exactly keep or exactly 1.
  if (options_.weight_decay != 0.0) {
    const double keep = static_cast<double>(static_cast<float>(1.0 - lr * options_.weight_decay));
    params_.mul_(decay_mask_.mul(keep - 1.0).add_(1.0));
  }

  state_.exp_avg.lerp_(grads_, 1.0 - beta1);
  state_.exp_avg_sq.mul_(beta2).addcmul_(grads_, grads_, 1.0 - beta2);

  const double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double bias_correction2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::pow(bias_correction2, 0.5);  // Python: bc2 ** 0.5
  auto denom = (state_.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(options_.eps);
  params_.addcdiv_(state_.exp_avg, denom, -step_size);
}

void AdamW::load_state(const AdamWState& state) {
  if (!state.exp_avg.sizes().equals(params_.sizes()) ||
      !state.exp_avg_sq.sizes().equals(params_.sizes())) {
    throw Error("AdamW: checkpoint moments have " + std::to_string(state.exp_avg.numel()) + "/" +
                std::to_string(state.exp_avg_sq.numel()) + " elements, the params " +
                std::to_string(params_.numel()));
  }
  if (state.step < 0) throw Error("AdamW: checkpoint step " + std::to_string(state.step) + " < 0");
  torch::NoGradGuard no_grad;
  state_.exp_avg.copy_(state.exp_avg);
  state_.exp_avg_sq.copy_(state.exp_avg_sq);
  state_.step = state.step;
}

}  // namespace bertgrid::train
