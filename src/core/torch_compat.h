// The few places where libtorch 1.13 (Debian, CI) and 2.x (the GPU machine) differ.
// Everything version-dependent goes through here; nothing else tests TORCH_VERSION_*.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <stdexcept>

namespace bertgrid::compat {

constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

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

}  // namespace bertgrid::compat
