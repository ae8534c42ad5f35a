// Sentence embeddings from DistilBERT hidden states: the five pooling strategies of the paper
// (CLS, LAST_MEAN, LAST_MAX, LAST2_MEAN, LAST2_MAX) as golden/README.md defines them, and the
// original notebook's variant (padding included) for reference. The Strategy and PoolingMode
// enums and their names live in core/choices.h.
#pragma once

#include <array>
#include <vector>

#include <torch/types.h>

#include "core/choices.h"

namespace bertgrid::model {

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
