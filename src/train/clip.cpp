// Gradient-norm clipping on the flat gradient buffer (torch.nn.utils.clip_grad_norm_ rules).
#include "train/clip.h"

namespace bertgrid::train {

torch::Tensor grad_norm(const FlatParams& flat) {
  torch::NoGradGuard no_grad;
  const torch::Tensor& grads = flat.grads();
  std::vector<torch::Tensor> norms;
  norms.reserve(flat.count());
  for (size_t i = 0; i < flat.count(); ++i) {
    norms.push_back(
        torch::linalg_vector_norm(grads.narrow(0, flat.offsets()[i], flat.sizes()[i]), 2));
  }
  return torch::linalg_vector_norm(torch::stack(norms), 2);
}

float clip_grad_norm(FlatParams& flat, double max_norm) {
  torch::NoGradGuard no_grad;
  torch::Tensor total = grad_norm(flat);
  // Python's `max_norm / tensor` is tensor.reciprocal() * max_norm.
  torch::Tensor coef = ((total + 1e-6).reciprocal() * max_norm).clamp_max(1.0);
  // A factor of exactly 1 leaves every value as it is: skip that pass over the buffer.
  if (coef.item<float>() != 1.0f) flat.grads().mul_(coef);
  return total.item<float>();
}

}  // namespace bertgrid::train
