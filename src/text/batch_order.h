// Which examples form a batch, as index lists: a seeded per-epoch shuffle that is the same on
// every rank count and libtorch version, HF's group_by_length order, fixed-size batches of an
// order, the length-sorted evaluation order, and putting results back in example order. No
// tensors but restore_order's; padding them into tensors is train/batching.h.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace bertgrid::text {

// A permutation of 0..n-1 from (data_seed, epoch, n) only: SplitMix64 seeded with both, then a
// Fisher-Yates shuffle with unbiased bounded draws. Never depends on ranks or libtorch.
std::vector<int64_t> epoch_permutation(uint64_t data_seed, int64_t epoch, int64_t n);

// HF Trainer's group_by_length order (its LengthGroupedSampler) applied to a shuffled order:
// cut `order` into megabatches of m * batch_size rows, m = min(n / (4 * batch_size), 50) but at
// least 1; sort each megabatch by length, longest first (ties keep their order); then swap the
// longest row of all (the first megabatch holding it) to the very front, so the largest batch
// comes first. lengths[i] is row i's length. Throws bertgrid::Error for a row without a length.
std::vector<int64_t> length_grouped_order(const std::vector<int64_t>& order,
                                          const std::vector<int64_t>& lengths, int64_t batch_size);

// Consecutive slices of `order` of batch_size (the last one smaller when it does not divide).
std::vector<std::vector<int64_t>> make_batches(const std::vector<int64_t>& order,
                                               int64_t batch_size);

// Evaluation order: example indices sorted by token count, longest first (ties keep index
// order), so each eval batch pads little. Batch the result with make_batches and put
// predictions back with restore_order.
std::vector<int64_t> length_sorted_order(const std::vector<int64_t>& lengths);

// Undoes an ordering: out[order[i]] = values[i]; values are in `order`'s order (first dim for
// tensors). Throws bertgrid::Error if the sizes differ.
template <typename T>
std::vector<T> restore_order(const std::vector<T>& values, const std::vector<int64_t>& order);
torch::Tensor restore_order(const torch::Tensor& values, const std::vector<int64_t>& order);

// ---- template definitions -------------------------------------------------------------------

template <typename T>
std::vector<T> restore_order(const std::vector<T>& values, const std::vector<int64_t>& order) {
  if (values.size() != order.size()) {
    throw Error("restore_order: " + std::to_string(values.size()) + " values for an order of " +
                std::to_string(order.size()));
  }
  std::vector<T> out(values.size());
  for (size_t i = 0; i < order.size(); ++i) out.at(static_cast<size_t>(order[i])) = values[i];
  return out;
}

}  // namespace bertgrid::text
