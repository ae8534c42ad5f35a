// Batches for training and evaluation: a seeded per-epoch shuffle that is the same on every
// rank count and libtorch version, fixed-size batches of the shuffled indices, dynamic padding
// into [B, T] tensors, length-sorted evaluation order, and contiguous sharding of a global
// batch among ranks.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/execution.h"

namespace bertgrid::train {

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

// One padded batch. input_ids and attention_mask [B, T] int64 (T = longest sequence in the
// batch), labels [B] int64; row i is example indices[i].
struct Batch {
  torch::Tensor input_ids;
  torch::Tensor attention_mask;
  torch::Tensor labels;
};

// How long a padded batch is: the longest sequence rounded up to a multiple (1: the longest
// itself, dynamic padding), but never beyond `limit` (the model's positions; 0: no limit) unless
// the longest sequence already is.
struct PadTo {
  int64_t multiple = 1;
  int64_t limit = 0;
};
int64_t padded_length(int64_t longest, const PadTo& pad);

// Builds a Batch from token-id lists. `indices` picks the rows; ids[i] are example i's token
// ids, labels[i] its label. Padding uses pad_id with attention mask 0, to padded_length(longest
// in the batch, pad). Throws bertgrid::Error for an empty batch or an index out of range.
// Tensors are put on `device`.
template <typename Id, typename Label>
Batch pad_batch(const std::vector<std::vector<Id>>& ids, const std::vector<Label>& labels,
                const std::vector<int64_t>& indices, int64_t pad_id,
                torch::Device device = torch::kCPU, const PadTo& pad = {});

// The same batch, put on the device as `exec` says (pinned, non-blocking copies on CUDA).
template <typename Id, typename Label>
Batch pad_batch(const std::vector<std::vector<Id>>& ids, const std::vector<Label>& labels,
                const std::vector<int64_t>& indices, int64_t pad_id, const Execution& exec,
                const PadTo& pad = {}) {
  Batch host = pad_batch(ids, labels, indices, pad_id, torch::kCPU, pad);
  return Batch{exec.to_device(host.input_ids), exec.to_device(host.attention_mask),
               exec.to_device(host.labels)};
}

// Evaluation order: example indices sorted by token count, longest first (ties keep index
// order), so each eval batch pads little. Batch the result with make_batches and put
// predictions back with restore_order.
std::vector<int64_t> length_sorted_order(const std::vector<int64_t>& lengths);

// Undoes an ordering: out[order[i]] = values[i]; values are in `order`'s order (first dim for
// tensors). Throws bertgrid::Error if the sizes differ.
template <typename T>
std::vector<T> restore_order(const std::vector<T>& values, const std::vector<int64_t>& order);
torch::Tensor restore_order(const torch::Tensor& values, const std::vector<int64_t>& order);

// Contiguous share of a global batch of batch_size examples for `rank` of `world_size`:
// rank r gets [begin, begin + count); the first batch_size % world_size ranks get one more.
// Ranks beyond batch_size get count 0 (they must still take part in the all-reduce).
struct Shard {
  int64_t begin = 0;
  int64_t count = 0;
};
Shard shard_range(int64_t batch_size, int rank, int world_size);

// The indices of `batch` that `rank` handles (shard_range applied to the batch).
std::vector<int64_t> shard_batch(const std::vector<int64_t>& batch, int rank, int world_size);

// ---- template definitions -------------------------------------------------------------------

template <typename Id, typename Label>
Batch pad_batch(const std::vector<std::vector<Id>>& ids, const std::vector<Label>& labels,
                const std::vector<int64_t>& indices, int64_t pad_id, torch::Device device,
                const PadTo& pad) {
  if (indices.empty()) throw Error("pad_batch: empty batch");
  if (ids.size() != labels.size()) {
    throw Error("pad_batch: " + std::to_string(ids.size()) + " token lists but " +
                std::to_string(labels.size()) + " labels");
  }
  size_t longest = 0;
  for (int64_t index : indices) {
    if (index < 0 || static_cast<size_t>(index) >= ids.size()) {
      throw Error("pad_batch: index " + std::to_string(index) + " outside 0.." +
                  std::to_string(ids.size()));
    }
    longest = std::max(longest, ids[static_cast<size_t>(index)].size());
  }
  const auto rows = static_cast<int64_t>(indices.size());
  const auto cols = padded_length(static_cast<int64_t>(longest), pad);
  auto input_ids = torch::full({rows, cols}, pad_id, torch::kInt64);
  auto mask = torch::zeros({rows, cols}, torch::kInt64);
  auto label_tensor = torch::empty({rows}, torch::kInt64);
  int64_t* id_data = input_ids.data_ptr<int64_t>();
  int64_t* mask_data = mask.data_ptr<int64_t>();
  int64_t* label_data = label_tensor.data_ptr<int64_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const auto example = static_cast<size_t>(indices[static_cast<size_t>(r)]);
    const auto& seq = ids[example];
    for (size_t c = 0; c < seq.size(); ++c) {
      id_data[r * cols + static_cast<int64_t>(c)] = static_cast<int64_t>(seq[c]);
      mask_data[r * cols + static_cast<int64_t>(c)] = 1;
    }
    label_data[r] = static_cast<int64_t>(labels[example]);
  }
  return Batch{input_ids.to(device), mask.to(device), label_tensor.to(device)};
}

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

}  // namespace bertgrid::train
