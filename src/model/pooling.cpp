// The five pooling strategies (see pooling.h).
#include "model/pooling.h"

#include <limits>

#include "core/error.h"

namespace bertgrid::model {
namespace {

bool is_mean(Strategy s) {
  return s == Strategy::LAST_MEAN || s == Strategy::LAST2_MEAN;
}

// (bs, seq_length, 1) float: 1 at non-padding positions 1..T-1, 0 at [CLS] and padding.
torch::Tensor content_mask(const torch::Tensor& attention_mask, const torch::Tensor& like) {
  auto m = attention_mask.to(like.scalar_type()).clone();  // (bs, seq_length)
  m.select(1, 0).zero_();
  return m.unsqueeze(-1);  // (bs, seq_length, 1)
}

torch::Tensor pool_layer(const torch::Tensor& h, const torch::Tensor& attention_mask, bool mean,
                         PoolingMode mode) {
  if (mode == PoolingMode::kNotebook) {
    auto tokens = h.slice(1, 1);                                // (bs, seq_length - 1, dim)
    return mean ? tokens.mean(1) : std::get<0>(tokens.max(1));  // (bs, dim)
  }
  if (!attention_mask.defined() || attention_mask.sizes() != h.sizes().slice(0, 2)) {
    throw Error("pooling: attention_mask must be (batch, seq_length) matching the hidden states");
  }
  auto m = content_mask(attention_mask, h);  // (bs, seq_length, 1)
  auto count = m.sum(1);                     // (bs, 1)
  if (mean) {
    return (h * m).sum(1) / count.clamp_min(1.0);  // (bs, dim)
  }
  auto lowest = std::numeric_limits<float>::lowest();
  auto maxed = std::get<0>(h.masked_fill(m == 0, lowest).max(1));  // (bs, dim)
  return maxed.masked_fill(count == 0, 0.0);                       // (bs, dim)
}

}  // namespace

torch::Tensor pool(const std::vector<torch::Tensor>& hidden, const torch::Tensor& attention_mask,
                   Strategy strategy, PoolingMode mode) {
  if (hidden.size() < 2) {
    throw Error("pooling: need at least 2 hidden states (embeddings + 1 layer), got " +
                std::to_string(hidden.size()));
  }
  const auto& last = hidden[hidden.size() - 1];   // (bs, seq_length, dim)
  const auto& last2 = hidden[hidden.size() - 2];  // (bs, seq_length, dim)
  switch (strategy) {
    case Strategy::CLS:
      return last.select(1, 0);  // (bs, dim)
    case Strategy::LAST_MEAN:
    case Strategy::LAST_MAX:
      return pool_layer(last, attention_mask, is_mean(strategy), mode);
    case Strategy::LAST2_MEAN:
    case Strategy::LAST2_MAX:
      return pool_layer(last2, attention_mask, is_mean(strategy), mode);
  }
  throw Error("pooling: invalid Strategy value " + std::to_string(static_cast<int>(strategy)));
}

std::array<torch::Tensor, kNumStrategies> pool_all(const std::vector<torch::Tensor>& hidden,
                                                   const torch::Tensor& attention_mask,
                                                   PoolingMode mode) {
  std::array<torch::Tensor, kNumStrategies> out;
  for (int i = 0; i < kNumStrategies; ++i) {
    out[i] = pool(hidden, attention_mask, kAllStrategies[i], mode);
  }
  return out;
}

}  // namespace bertgrid::model
