// Gradient-norm clipping on the flat gradient buffer (torch.nn.utils.clip_grad_norm_ rules).
#include "train/clip.h"

namespace bertgrid::train {

torch::Tensor grad_norm(const FlatParams& flat) {
  torch::NoGradGuard no_grad;
  // One multi-tensor launch on CUDA; on the CPU it is linalg_vector_norm per tensor, as before.
  const auto norms = at::_foreach_norm(flat.grad_views(), 2);
  return torch::linalg_vector_norm(torch::stack(norms), 2);
}

namespace {

// Python's `max_norm / (total + 1e-6)`, which is tensor.reciprocal() * max_norm, clamped to 1.
torch::Tensor clip_coefficient(const torch::Tensor& total, double max_norm) {
  return ((total + 1e-6).reciprocal() * max_norm).clamp_max(1.0);
}

}  // namespace

torch::Tensor clip_grad_norm_on_device(FlatParams& flat, double max_norm) {
  torch::NoGradGuard no_grad;
  torch::Tensor total = grad_norm(flat);
  flat.grads().mul_(clip_coefficient(total, max_norm));
  return total;
}

float clip_grad_norm(FlatParams& flat, double max_norm) {
  torch::NoGradGuard no_grad;
  torch::Tensor total = grad_norm(flat);
  torch::Tensor coef = clip_coefficient(total, max_norm);
  // Both numbers in one device-to-host copy (one synchronisation on CUDA).
  const auto host = torch::stack({total, coef}).to(torch::kCPU);
  const float* values = host.data_ptr<float>();
  // A factor of exactly 1 leaves every value as it is: skip that pass over the buffer.
  if (values[1] != 1.0f) flat.grads().mul_(coef);
  return values[0];
}

}  // namespace bertgrid::train
