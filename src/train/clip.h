// Global gradient-norm clipping over FlatParams' gradient buffer, with the arithmetic of
// PyTorch 2.x's torch.nn.utils.clip_grad_norm_ (norm_type 2).
#pragma once

#include <torch/types.h>

#include "train/flat_params.h"

namespace bertgrid::train {

// Total L2 norm of the gradients as PyTorch computes it: the L2 norm of the stacked
// per-parameter L2 norms (float32, on the grads' device; a 0-dim tensor).
torch::Tensor grad_norm(const FlatParams& flat);

// Clips flat.grads() in place: coef = max_norm / (norm + 1e-6), clamped to at most 1, and the
// grads are multiplied by it (PyTorch 2.x multiplies unconditionally; when coef >= 1 the factor
// is exactly 1, a no-op we skip where the host knows it). Returns the pre-clip norm, read back.
float clip_grad_norm(FlatParams& flat, double max_norm);

// The same without reading anything back (what the trainer uses): the multiply is unconditional (by
// exactly 1 when no clipping is needed, which changes no value) and the pre-clip norm is returned
// as a 0-dim float32 tensor on the grads' device.
torch::Tensor clip_grad_norm_on_device(FlatParams& flat, double max_norm);

}  // namespace bertgrid::train
