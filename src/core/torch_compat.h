// The few places where libtorch 1.13 (Debian, CI) and 2.x (the GPU machine) differ.
// Everything version-dependent goes through here; nothing else tests TORCH_VERSION_*.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

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

}  // namespace bertgrid::compat
