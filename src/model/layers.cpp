// Dense and Lookup: zero-initialised linear and embedding layers.
#include "model/layers.h"

#include "core/error.h"

namespace bertgrid::model {

DenseImpl::DenseImpl(int64_t in, int64_t out) : in_features(in), out_features(out) {
  if (in <= 0 || out <= 0)
    throw Error("Dense: sizes must be positive, got " + std::to_string(in) + " -> " +
                std::to_string(out));
  reset();
}

void DenseImpl::reset() {
  weight = register_parameter("weight", torch::zeros({out_features, in_features}));
  bias = register_parameter("bias", torch::zeros({out_features}));
}

torch::Tensor DenseImpl::forward(const torch::Tensor& input) {
  return torch::linear(input, weight, bias);
}

void DenseImpl::pretty_print(std::ostream& stream) const {
  stream << "bertgrid::model::Dense(in_features=" << in_features
         << ", out_features=" << out_features << ")";
}

LookupImpl::LookupImpl(int64_t n, int64_t d, std::optional<int64_t> pad)
    : count(n), dim(d), padding_idx(pad) {
  if (n <= 0 || d <= 0)
    throw Error("Lookup: sizes must be positive, got " + std::to_string(n) + " x " +
                std::to_string(d));
  if (pad && (*pad < 0 || *pad >= n))
    throw Error("Lookup: padding index " + std::to_string(*pad) + " outside 0.." +
                std::to_string(n - 1));
  reset();
}

void LookupImpl::reset() {
  weight = register_parameter("weight", torch::zeros({count, dim}));
}

torch::Tensor LookupImpl::forward(const torch::Tensor& indices) {
  return torch::embedding(weight, indices, padding_idx.value_or(-1));
}

void LookupImpl::pretty_print(std::ostream& stream) const {
  stream << "bertgrid::model::Lookup(count=" << count << ", dim=" << dim;
  if (padding_idx) stream << ", padding_idx=" << *padding_idx;
  stream << ")";
}

}  // namespace bertgrid::model
