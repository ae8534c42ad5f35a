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
  const auto mask = decay_mask.to(torch::kCPU, torch::kFloat32).contiguous().view(-1);
  const float* m = mask.data_ptr<float>();
  for (int64_t i = 0, n = mask.numel(); i < n; ++i) {
    auto& runs = m[i] == 0.0f ? other_runs_ : decay_runs_;
    if (!runs.empty() && runs.back().second == i) {
      ++runs.back().second;
    } else {
      runs.emplace_back(i, i + 1);
    }
  }
  if (options_.fused) {
    if (!compat::kHasFusedAdamW)
      throw Error("AdamW: fused = true needs libtorch >= 2.1 (built with BERTGRID_FUSED_ADAMW)");
    step_count_ = torch::zeros({}, params_.options());
  } else {
    denom_ = torch::empty({chunk_}, params_.options());
  }
}

void AdamW::fused_step(double lr) {
  step_count_.fill_(static_cast<double>(state_.step));
  // Two calls: the decayed runs with the rate's decay, the others (biases, LayerNorm) without.
  for (const bool decayed : {true, false}) {
    const auto& runs = decayed ? decay_runs_ : other_runs_;
    if (runs.empty()) continue;
    std::vector<torch::Tensor> p, g, m, v, steps;
    for (const auto& [begin, end] : runs) {
      p.push_back(params_.narrow(0, begin, end - begin));
      g.push_back(grads_.narrow(0, begin, end - begin));
      m.push_back(state_.exp_avg.narrow(0, begin, end - begin));
      v.push_back(state_.exp_avg_sq.narrow(0, begin, end - begin));
      steps.push_back(step_count_);
    }
    compat::fused_adamw(p, g, m, v, steps, lr, options_.beta1, options_.beta2,
                        decayed ? options_.weight_decay : 0.0, options_.eps);
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  const int64_t t = ++state_.step;
  if (options_.fused) {
    fused_step(lr);
    return;
  }
  const double beta1 = options_.beta1;
  const double beta2 = options_.beta2;

  // Decoupled decay as PyTorch does it, param.mul_(1 - lr*wd), where the mask is 1 (the rest is
  // PyTorch's no-decay group, multiplied by nothing).
  if (options_.weight_decay != 0.0) {
    const double keep = 1.0 - lr * options_.weight_decay;
    if (params_.is_cuda()) {
      std::vector<torch::Tensor> decayed;
      for (const auto& [begin, end] : decay_runs_)
        decayed.push_back(params_.narrow(0, begin, end - begin));
      at::_foreach_mul_(decayed, keep);
    } else {
      for (const auto& [begin, end] : decay_runs_) params_.narrow(0, begin, end - begin).mul_(keep);
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
