// AdamW: torch.optim.AdamW's update on flat buffers.
#include "train/adamw.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/torch_compat.h"

namespace bertgrid::train {

namespace {

// Elements per chunk of the update (4 MiB of each buffer): big enough that each op's parallel
// region has real work on several threads (64 Ki-element chunks cost 8x in thread hand-offs on 2
// threads), small enough to bound the scratch. A multiple of every SIMD width.
constexpr int64_t kChunk = int64_t{1} << 20;

}  // namespace

AdamW::AdamW(torch::Tensor params, torch::Tensor grads, torch::Tensor decay_mask,
             AdamWOptions options)
    : params_(std::move(params)), grads_(std::move(grads)), options_(options) {
  if (!params_.sizes().equals(grads_.sizes()) || !params_.sizes().equals(decay_mask.sizes())) {
    throw Error("AdamW: params, grads and decay mask differ in shape");
  }
  state_.exp_avg = torch::zeros_like(params_);
  state_.exp_avg_sq = torch::zeros_like(params_);
  // On CUDA one chunk: each op is one kernel over the whole buffer (launches, not caches, are
  // what costs there).
  chunk_ = params_.is_cuda() ? params_.numel() : std::min(kChunk, params_.numel());
  // Runs of equal mask values: [begin, end) where it is 1 (decayed) and where it is 0.
  std::vector<std::pair<int64_t, int64_t>> runs[2];  // [0] decayed, [1] the others
  const auto mask = decay_mask.to(torch::kCPU, torch::kFloat32).contiguous().view(-1);
  const float* m = mask.data_ptr<float>();
  for (int64_t i = 0, n = mask.numel(); i < n; ++i) {
    auto& r = runs[m[i] == 0.0f ? 1 : 0];
    if (!r.empty() && r.back().second == i) {
      ++r.back().second;
    } else {
      r.emplace_back(i, i + 1);
    }
  }
  for (const auto& [begin, end] : runs[0])
    decay_params_.push_back(params_.narrow(0, begin, end - begin));
  if (!options_.fused) {
    denom_ = torch::empty({chunk_}, params_.options());
    return;
  }
  if (!compat::kHasFusedAdamW)
    throw Error("AdamW: fused = true needs libtorch >= 2.1 (built with BERTGRID_FUSED_ADAMW)");
  step_count_ = torch::zeros({}, params_.options());
  // Two calls per step: the decayed runs with the rate's decay, the others (biases, LayerNorm)
  // without.
  for (int k = 0; k < 2; ++k) {
    if (runs[k].empty()) continue;
    FusedGroup g;
    g.weight_decay = k == 0 ? options_.weight_decay : 0.0;
    for (const auto& [begin, end] : runs[k]) {
      g.params.push_back(params_.narrow(0, begin, end - begin));
      g.grads.push_back(grads_.narrow(0, begin, end - begin));
      g.exp_avgs.push_back(state_.exp_avg.narrow(0, begin, end - begin));
      g.exp_avg_sqs.push_back(state_.exp_avg_sq.narrow(0, begin, end - begin));
      g.steps.push_back(step_count_);
    }
    fused_groups_.push_back(std::move(g));
  }
}

void AdamW::fused_step(double lr, const torch::Tensor& skip) {
  step_count_.fill_(static_cast<double>(state_.step));
  const auto found_inf = skip.defined() ? skip.to(params_.scalar_type()) : torch::Tensor();
  for (const auto& g : fused_groups_)
    compat::fused_adamw(g.params, g.grads, g.exp_avgs, g.exp_avg_sqs, g.steps, lr, options_.beta1,
                        options_.beta2, g.weight_decay, options_.eps, found_inf);
}

bool AdamW::device_step_available() {
  return compat::kHasFusedAdamWTensorLr;
}

void AdamW::prepare_device_step(double lr) {
  if (!options_.fused || !device_step_available())
    throw Error(
        "AdamW: the device step needs the fused kernel with a tensor rate (libtorch >= 2.3)");
  torch::NoGradGuard no_grad;
  ++state_.step;
  step_count_.fill_(static_cast<double>(state_.step));
  if (!lr_.defined()) lr_ = torch::zeros({}, params_.options());
  lr_.fill_(lr);
}

void AdamW::device_step(const torch::Tensor& skip) {
  torch::NoGradGuard no_grad;
  const auto found_inf = skip.to(params_.scalar_type());
  for (const auto& g : fused_groups_)
    compat::fused_adamw_tensor_lr(g.params, g.grads, g.exp_avgs, g.exp_avg_sqs, g.steps, lr_,
                                  options_.beta1, options_.beta2, g.weight_decay, options_.eps,
                                  found_inf);
}

void AdamW::step(double lr, const torch::Tensor& skip) {
  torch::NoGradGuard no_grad;
  if (skip.defined() && !params_.is_cuda() && skip.item<bool>()) return;
  ++state_.step;
  if (options_.fused) {
    fused_step(lr, skip);
    return;
  }
  if (!skip.defined() || !params_.is_cuda()) {
    unfused_step(lr);
    return;
  }
  // The same update, then the old values selected back where `skip` is set: no host wait.
  std::vector<torch::Tensor> buffers{params_, state_.exp_avg, state_.exp_avg_sq};
  if (kept_.empty())
    for (const auto& b : buffers) kept_.push_back(torch::empty_like(b));
  for (size_t i = 0; i < buffers.size(); ++i) kept_[i].copy_(buffers[i]);
  unfused_step(lr);
  for (size_t i = 0; i < buffers.size(); ++i)
    buffers[i].copy_(torch::where(skip, kept_[i], buffers[i]));
}

void AdamW::unfused_step(double lr) {
  const int64_t t = state_.step;
  const double beta1 = options_.beta1;
  const double beta2 = options_.beta2;

  // Decoupled decay as PyTorch does it, param.mul_(1 - lr*wd), where the mask is 1 (the rest is
  // PyTorch's no-decay group, multiplied by nothing).
  if (options_.weight_decay != 0.0) {
    const double keep = 1.0 - lr * options_.weight_decay;
    if (params_.is_cuda()) {
      at::_foreach_mul_(decay_params_, keep);  // one launch family
    } else {
      for (auto& p : decay_params_) p.mul_(keep);
    }
  }

  const double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double bias_correction2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::pow(bias_correction2, 0.5);  // Python: bc2 ** 0.5
  const int64_t numel = params_.numel();
  for (int64_t begin = 0; begin < numel; begin += chunk_) {
    const int64_t n = std::min(chunk_, numel - begin);
    auto p = params_.narrow(0, begin, n);
    auto g = grads_.narrow(0, begin, n);
    auto m = state_.exp_avg.narrow(0, begin, n);
    auto v = state_.exp_avg_sq.narrow(0, begin, n);
    auto denom = denom_.narrow(0, 0, n);
    m.lerp_(g, 1.0 - beta1);
    v.mul_(beta2).addcmul_(g, g, 1.0 - beta2);
    at::sqrt_out(denom, v).div_(bias_correction2_sqrt).add_(options_.eps);
    p.addcdiv_(m, denom, -step_size);
  }
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
