// Batches for training and evaluation as tensors: dynamic padding into [B, T] tensors on the
// run's device, and contiguous sharding of a global batch among ranks. Which rows form a batch
// (shuffles, length orders) is text/batch_order.h.
#pragma once

#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "text/batch_order.h"
#include "train/execution.h"

namespace bertgrid::train {

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

}  // namespace bertgrid::train
