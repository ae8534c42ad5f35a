// The linear and lookup layers DistilBERT is built from, without libtorch's own initialisation.
// torch::nn::Linear and torch::nn::Embedding draw their weights in the constructor (Kaiming
// uniform, normal), which HF's initialisation (init_weights) or a loaded checkpoint then
// overwrites: at distilbert-base size those wasted draws took about 0.37 s of the 0.6 s a random
// model cost on a CPU core, once per job. These layers start at zero; the forward passes are
// torch::linear and torch::embedding, exactly what the libtorch modules call.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>

namespace bertgrid::model {

// y = x W^T + b; weight (out, in), bias (out).
struct DenseImpl : torch::nn::Cloneable<DenseImpl> {
  DenseImpl(int64_t in_features, int64_t out_features);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& input);
  void pretty_print(std::ostream& stream) const override;

  int64_t in_features, out_features;
  torch::Tensor weight, bias;
};
TORCH_MODULE(Dense);

// Rows of weight (count, dim) by index; the padding row, if any, gets no gradient.
struct LookupImpl : torch::nn::Cloneable<LookupImpl> {
  LookupImpl(int64_t count, int64_t dim, std::optional<int64_t> padding_idx = std::nullopt);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& indices);
  void pretty_print(std::ostream& stream) const override;

  int64_t count, dim;
  std::optional<int64_t> padding_idx;
  torch::Tensor weight;
};
TORCH_MODULE(Lookup);

}  // namespace bertgrid::model
