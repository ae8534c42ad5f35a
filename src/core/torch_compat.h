// The few places where libtorch 1.13 (Debian, CI) and 2.x (the GPU machine) differ.
// Everything version-dependent goes through here; nothing else tests TORCH_VERSION_*.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <stdexcept>
#include <vector>

namespace bertgrid::compat {

// libtorch >= 2.4 names autocast per device type; 1.13 has one switch per backend.
#define BERTGRID_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||           \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// Zero a gradient in place. In 2.x, Optimizer/Module::zero_grad() sets gradients to undefined by
// default, which would drop gradients that are views into a flat buffer.
inline void zero_grad_in_place(torch::Tensor& param) {
  auto& g = param.mutable_grad();
  if (g.defined()) g.zero_();
}

// Make `param` (a module's Parameter) use `data` as its storage and `grad` as its gradient,
// keeping the Parameter object itself (the module and autograd still hold it). Both must have
// param's shape and dtype. Same calls on 1.13 and 2.x: set_data swaps the storage of the
// TensorImpl in place; a defined .grad() makes AccumulateGrad add into it in place.
inline void alias_parameter(torch::Tensor& param, const torch::Tensor& data,
                            const torch::Tensor& grad) {
  param.set_data(data);
  param.mutable_grad() = grad;
}

// Fused attention: softmax(q k^T / sqrt(d) + additive_mask) v with dropout on the weights.
// libtorch >= 2.0 has at::scaled_dot_product_attention; 1.13 does not, so kHasSdpa is false there
// and callers use their own (manual) math instead. q, k, v: (bs, n_heads, length, dim_per_head);
// additive_mask broadcasts to (bs, n_heads, q_length, k_length) or is undefined.
#if TORCH_VERSION_MAJOR >= 2
constexpr bool kHasSdpa = true;
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v,
                                                  const torch::Tensor& additive_mask,
                                                  double dropout_p) {
  c10::optional<torch::Tensor> mask;
  if (additive_mask.defined()) mask = additive_mask;
  return at::scaled_dot_product_attention(q, k, v, mask, dropout_p, /*is_causal=*/false);
}
#else
constexpr bool kHasSdpa = false;
inline torch::Tensor scaled_dot_product_attention(const torch::Tensor&, const torch::Tensor&,
                                                  const torch::Tensor&, const torch::Tensor&,
                                                  double) {
  throw std::logic_error("scaled_dot_product_attention needs libtorch >= 2.0");
}
#endif

// Mixed precision for the ops run while it lives (Python's torch.autocast): matrix products in
// bfloat16 on `device`'s type, reductions and norms in float32. Leaving the outermost scope
// clears the cache of casted weights, so the next forward casts the updated weights again. Run
// the forward pass (and loss) inside, backward outside, as PyTorch recommends. With enabled =
// false it does nothing.
class AutocastScope {
 public:
  AutocastScope(torch::Device device, bool enabled) : enabled_(enabled), cuda_(device.is_cuda()) {
    if (!enabled_) return;
    at::autocast::increment_nesting();
#if BERTGRID_TORCH_AT_LEAST(2, 4)
    const auto type = cuda_ ? at::kCUDA : at::kCPU;
    was_on_ = at::autocast::is_autocast_enabled(type);
    old_dtype_ = at::autocast::get_autocast_dtype(type);
    at::autocast::set_autocast_dtype(type, at::kBFloat16);
    at::autocast::set_autocast_enabled(type, true);
#else
    was_on_ = cuda_ ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
    old_dtype_ =
        cuda_ ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
#endif
  }
  ~AutocastScope() {
    if (!enabled_) return;
#if BERTGRID_TORCH_AT_LEAST(2, 4)
    const auto type = cuda_ ? at::kCUDA : at::kCPU;
    at::autocast::set_autocast_enabled(type, was_on_);
    at::autocast::set_autocast_dtype(type, old_dtype_);
#else
    if (cuda_) {
      at::autocast::set_enabled(was_on_);
      at::autocast::set_autocast_gpu_dtype(old_dtype_);
    } else {
      at::autocast::set_cpu_enabled(was_on_);
      at::autocast::set_autocast_cpu_dtype(old_dtype_);
    }
#endif
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  bool cuda_;
  bool was_on_ = false;
  at::ScalarType old_dtype_ = at::kBFloat16;
};

// torch.optim.AdamW(fused=True)'s kernel (libtorch >= 2.1, CUDA; CPU too from 2.4): one launch
// family updates every tensor of the lists. `steps` holds one float32 scalar tensor per param,
// already advanced to this step's count (the kernel only reads it). Its arithmetic differs from
// the single-tensor path in rounding only.
#if BERTGRID_TORCH_AT_LEAST(2, 1) && defined(BERTGRID_FUSED_ADAMW)
constexpr bool kHasFusedAdamW = true;
inline void fused_adamw(const std::vector<torch::Tensor>& params,
                        const std::vector<torch::Tensor>& grads,
                        const std::vector<torch::Tensor>& exp_avgs,
                        const std::vector<torch::Tensor>& exp_avg_sqs,
                        const std::vector<torch::Tensor>& steps, double lr, double beta1,
                        double beta2, double weight_decay, double eps,
                        const torch::Tensor& found_inf = {}) {
  // found_inf (0-dim, the params' dtype): where it is 1 the kernel leaves everything as it was.
  // (A tensor converts to the optional the kernel takes, whichever optional the version uses.)
  if (!found_inf.defined()) {
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr,
                      beta1, beta2, weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false);
    return;
  }
  at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, beta1,
                    beta2, weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false,
                    /*grad_scale=*/{}, found_inf);
}
// The same kernel with the rate as a 0-dim float32 tensor on the params' device (libtorch >=
// 2.3): nothing in the call depends on host values, so a CUDA graph can hold it.
#if BERTGRID_TORCH_AT_LEAST(2, 3)
constexpr bool kHasFusedAdamWTensorLr = true;
inline void fused_adamw_tensor_lr(const std::vector<torch::Tensor>& params,
                                  const std::vector<torch::Tensor>& grads,
                                  const std::vector<torch::Tensor>& exp_avgs,
                                  const std::vector<torch::Tensor>& exp_avg_sqs,
                                  const std::vector<torch::Tensor>& steps, const torch::Tensor& lr,
                                  double beta1, double beta2, double weight_decay, double eps,
                                  const torch::Tensor& found_inf) {
  at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, beta1,
                    beta2, weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false,
                    /*grad_scale=*/{}, found_inf);
}
#else
constexpr bool kHasFusedAdamWTensorLr = false;
#endif
#else
constexpr bool kHasFusedAdamW = false;
constexpr bool kHasFusedAdamWTensorLr = false;
inline void fused_adamw(const std::vector<torch::Tensor>&, const std::vector<torch::Tensor>&,
                        const std::vector<torch::Tensor>&, const std::vector<torch::Tensor>&,
                        const std::vector<torch::Tensor>&, double, double, double, double, double,
                        const torch::Tensor& = {}) {
  throw std::logic_error("fused AdamW needs libtorch >= 2.1 built with BERTGRID_FUSED_ADAMW");
}
#endif
#if !(BERTGRID_TORCH_AT_LEAST(2, 3) && defined(BERTGRID_FUSED_ADAMW))
inline void fused_adamw_tensor_lr(const std::vector<torch::Tensor>&,
                                  const std::vector<torch::Tensor>&,
                                  const std::vector<torch::Tensor>&,
                                  const std::vector<torch::Tensor>&,
                                  const std::vector<torch::Tensor>&, const torch::Tensor&, double,
                                  double, double, double, const torch::Tensor&) {
  throw std::logic_error("fused AdamW with a tensor rate needs libtorch >= 2.3");
}
#endif

}  // namespace bertgrid::compat
