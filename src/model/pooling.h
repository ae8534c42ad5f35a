// Sentence embeddings from DistilBERT hidden states: the five pooling strategies of the paper
// (CLS, LAST_MEAN, LAST_MAX, LAST2_MEAN, LAST2_MAX) as golden/README.md defines them, their names,
// and the original notebook's variant (padding included) for reference.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace bertgrid::model {

enum class Strategy { CLS, LAST_MEAN, LAST_MAX, LAST2_MEAN, LAST2_MAX };

constexpr int kNumStrategies = 5;
constexpr std::array<Strategy, kNumStrategies> kAllStrategies = {
    Strategy::CLS, Strategy::LAST_MEAN, Strategy::LAST_MAX, Strategy::LAST2_MEAN,
    Strategy::LAST2_MAX};

// "CLS", "LAST_MEAN", "LAST_MAX", "LAST2_MEAN", "LAST2_MAX".
std::string to_string(Strategy strategy);
// The inverse; an unknown name is an error naming it and the known ones.
Strategy strategy_from_string(const std::string& name);

enum class PoolingMode {
  // MEAN/MAX over positions 1..T-1 whose attention_mask is 1: [SEP] included, [CLS] and padding
  // excluded. A sequence with no such position pools to zeros.
  kMasked,
  // The notebook's h[:, 1:].mean(1) / h[:, 1:].max(1): padding included.
  kNotebook,
};

// hidden: the n_layers + 1 hidden states (bs, seq_length, dim) of one forward pass (at least 2);
// attention_mask: (bs, seq_length), 1 = token, 0 = padding. CLS is the last layer at position 0;
// LAST_* use the last layer, LAST2_* the second-to-last. Returns (bs, dim).
torch::Tensor pool(const std::vector<torch::Tensor>& hidden, const torch::Tensor& attention_mask,
                   Strategy strategy, PoolingMode mode = PoolingMode::kMasked);

// All five at once, indexed like kAllStrategies.
std::array<torch::Tensor, kNumStrategies> pool_all(const std::vector<torch::Tensor>& hidden,
                                                   const torch::Tensor& attention_mask,
                                                   PoolingMode mode = PoolingMode::kMasked);

}  // namespace bertgrid::model
