// FlatParams: packing a module's trainable parameters and gradients into two flat buffers.
#include "train/flat_params.h"

#include <unordered_set>

#include "core/error.h"
#include "core/torch_compat.h"

namespace bertgrid::train {

bool applies_weight_decay(const std::string& name) {
  for (const char* marker : {"bias", "LayerNorm.weight", "layer_norm.weight"}) {
    if (name.find(marker) != std::string::npos) return false;
  }
  return true;
}

FlatParams::FlatParams(torch::nn::Module& module) {
  std::vector<torch::Tensor> originals;
  std::unordered_set<const void*> seen;
  torch::optional<torch::Device> device;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    const torch::Tensor& p = item.value();
    if (!p.requires_grad()) continue;
    if (p.scalar_type() != torch::kFloat32) {
      throw Error("FlatParams: parameter " + item.key() + " is " +
                  std::string(c10::toString(p.scalar_type())) + ", expected float32");
    }
    if (device && p.device() != *device) {
      throw Error("FlatParams: parameter " + item.key() + " is on " + p.device().str() +
                  ", the first parameter on " + device->str());
    }
    if (!seen.insert(p.unsafeGetTensorImpl()).second) {
      throw Error("FlatParams: parameter " + item.key() + " is shared with an earlier name");
    }
    device = p.device();
    offsets_.push_back(names_.empty() ? 0 : offsets_.back() + sizes_.back());
    sizes_.push_back(p.numel());
    names_.push_back(item.key());
    originals.push_back(p);
  }
  if (names_.empty()) throw Error("FlatParams: the module has no trainable parameters");

  const int64_t total = offsets_.back() + sizes_.back();
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(*device);
  params_ = torch::empty({total}, options);
  grads_ = torch::zeros({total}, options);
  decay_mask_ = torch::zeros({total}, options);

  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < names_.size(); ++i) {
    torch::Tensor& p = originals[i];
    auto data = params_.narrow(0, offsets_[i], sizes_[i]).view(p.sizes());
    auto grad = grads_.narrow(0, offsets_[i], sizes_[i]).view(p.sizes());
    data.copy_(p.detach());
    compat::alias_parameter(p, data, grad);
    if (applies_weight_decay(names_[i])) decay_mask_.narrow(0, offsets_[i], sizes_[i]).fill_(1.0);
    parameters_.push_back(p);
  }
  check_views();
}

std::vector<torch::Tensor> FlatParams::grad_views() const {
  std::vector<torch::Tensor> views;
  views.reserve(names_.size());
  for (size_t i = 0; i < names_.size(); ++i) {
    views.push_back(grads_.narrow(0, offsets_[i], sizes_[i]).view(parameters_[i].sizes()));
  }
  return views;
}

void FlatParams::zero_grad() {
  grads_.zero_();
}

void FlatParams::check_views() const {
  const auto* param_base = static_cast<const char*>(params_.data_ptr());
  const auto* grad_base = static_cast<const char*>(grads_.data_ptr());
  const auto element = static_cast<int64_t>(sizeof(float));
  for (size_t i = 0; i < names_.size(); ++i) {
    const torch::Tensor& p = parameters_[i];
    const int64_t offset = offsets_[i] * element;
    if (static_cast<const char*>(p.data_ptr()) != param_base + offset || !p.is_contiguous()) {
      throw Error("FlatParams: parameter " + names_[i] +
                  " no longer views the flat parameter buffer (its data was replaced)");
    }
    const torch::Tensor& g = p.grad();
    if (!g.defined()) {
      throw Error("FlatParams: gradient of " + names_[i] +
                  " is undefined (zero_grad(set_to_none) dropped the flat-buffer view)");
    }
    if (static_cast<const char*>(g.data_ptr()) != grad_base + offset || !g.is_contiguous()) {
      throw Error("FlatParams: gradient of " + names_[i] +
                  " no longer views the flat gradient buffer (autograd replaced it)");
    }
  }
}

}  // namespace bertgrid::train
