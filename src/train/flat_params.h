// FlatParams: every trainable parameter of a module packed into one contiguous float32 buffer,
// and every gradient into a second one, so that all-reduce, clipping and AdamW each touch one
// tensor. The module keeps its own Parameter objects; their storage becomes views of the buffers.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bertgrid::train {

// HF Trainer's weight-decay rule: no decay for parameters whose name contains "bias",
// "LayerNorm.weight" or "layer_norm.weight"; decay for everything else.
bool applies_weight_decay(const std::string& name);

class FlatParams {
 public:
  // Packs module.named_parameters() with requires_grad, in module order. All of them must be
  // float32 on one device; the buffers live on that device. Current values are copied in, each
  // parameter's data becomes a view of params(), its grad a view of grads() (zeroed).
  // Throws bertgrid::Error for no trainable parameters, mixed devices, non-float32 or a
  // parameter shared under two names.
  explicit FlatParams(torch::nn::Module& module);

  FlatParams(const FlatParams&) = delete;
  FlatParams& operator=(const FlatParams&) = delete;

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<int64_t>& offsets() const { return offsets_; }  // element offset per param
  const std::vector<int64_t>& sizes() const { return sizes_; }      // numel per param
  int64_t numel() const { return params_.numel(); }
  size_t count() const { return names_.size(); }

  // The flat buffers (1-D, float32). In-place changes are seen by the module and by autograd.
  torch::Tensor& params() { return params_; }
  torch::Tensor& grads() { return grads_; }
  const torch::Tensor& params() const { return params_; }
  const torch::Tensor& grads() const { return grads_; }

  // The module's parameter tensors (views of params()), in order.
  const std::vector<torch::Tensor>& parameters() const { return parameters_; }
  // Per-parameter views of grads(), shaped like the parameters.
  std::vector<torch::Tensor> grad_views() const;

  // 1 where weight decay applies (applies_weight_decay(name)), 0 elsewhere; float32, flat.
  const torch::Tensor& decay_mask() const { return decay_mask_; }

  // Zeroes grads() in place. Never use Module::zero_grad / Optimizer::zero_grad instead: in
  // libtorch 2.x they set grads to undefined, which detaches them from the buffer.
  void zero_grad();

  // Throws bertgrid::Error naming the parameter if any parameter's data or grad no longer lies
  // at its place in the buffers (autograd or a .to() replaced it). Call after backward.
  void check_views() const;

 private:
  std::vector<std::string> names_;
  std::vector<int64_t> offsets_;
  std::vector<int64_t> sizes_;
  std::vector<torch::Tensor> parameters_;
  torch::Tensor params_;
  torch::Tensor grads_;
  torch::Tensor decay_mask_;
};

}  // namespace bertgrid::train
