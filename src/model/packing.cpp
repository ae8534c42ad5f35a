// Packed batches (see packing.h): the layout, the index tensors, and the way back to the padded
// layout.
#include "model/packing.h"

#include <algorithm>
#include <numeric>

namespace bertgrid::model {

PackLayout plan_packing(const std::vector<int64_t>& lengths, int64_t row_length) {
  if (lengths.empty()) throw Error("pack: empty batch");
  const auto n = lengths.size();
  std::vector<size_t> longest_first(n);
  std::iota(longest_first.begin(), longest_first.end(), size_t{0});
  std::stable_sort(longest_first.begin(), longest_first.end(),
                   [&](size_t a, size_t b) { return lengths[a] > lengths[b]; });
  PackLayout layout;
  layout.row_length = row_length;
  layout.row.assign(n, 0);
  layout.start.assign(n, 0);
  std::vector<int64_t> used;  // tokens placed in each row so far
  for (size_t i : longest_first) {
    const int64_t length = lengths[i];
    if (length < 1 || length > row_length)
      throw Error("pack: a sentence of " + std::to_string(length) +
                  " tokens does not fit rows of " + std::to_string(row_length));
    auto room =
        std::find_if(used.begin(), used.end(), [&](int64_t u) { return u + length <= row_length; });
    if (room == used.end()) room = used.insert(used.end(), 0);
    layout.row[i] = room - used.begin();
    layout.start[i] = *room;
    *room += length;
  }
  layout.rows = static_cast<int64_t>(used.size());
  return layout;
}

int64_t packed_row_length(int64_t longest, const PackRows& rows) {
  if (rows.multiple < 1)
    throw Error("pack: multiple must be positive, got " + std::to_string(rows.multiple));
  const int64_t at_least = std::max(longest, rows.at_least);
  return (at_least + rows.multiple - 1) / rows.multiple * rows.multiple;
}

namespace detail {

PackedBatch empty_packed_batch(const PackLayout& layout, const std::vector<int64_t>& lengths,
                               int64_t pad_id) {
  const auto n = static_cast<int64_t>(lengths.size());
  const int64_t width = layout.row_length;
  const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  PackedBatch b;
  b.input_ids = torch::full({layout.rows, width}, pad_id, torch::kInt64);
  b.position_ids = torch::zeros({layout.rows, width}, torch::kInt64);
  b.segment_ids = torch::empty({layout.rows, width}, torch::kInt64);
  b.cls_index = torch::empty({n}, torch::kInt64);
  b.token_index = torch::empty({n, longest}, torch::kInt64);
  b.token_mask = torch::zeros({n, longest}, torch::kInt64);
  auto* positions = b.position_ids.data_ptr<int64_t>();
  auto* segments = b.segment_ids.data_ptr<int64_t>();
  for (int64_t r = 0; r < layout.rows; ++r)  // every slot a tail until a sentence claims it
    std::fill(segments + r * width, segments + (r + 1) * width, n + r);
  auto* cls = b.cls_index.data_ptr<int64_t>();
  auto* index = b.token_index.data_ptr<int64_t>();
  auto* mask = b.token_mask.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t first = layout.row[i] * width + layout.start[i];
    cls[i] = first;
    for (int64_t t = 0; t < longest; ++t) {
      const bool real = t < lengths[i];
      index[i * longest + t] = real ? first + t : first;
      mask[i * longest + t] = real ? 1 : 0;
      if (!real) continue;
      positions[first + t] = t;
      segments[first + t] = i;
    }
  }
  return b;
}

}  // namespace detail

torch::Tensor unpack_states(const torch::Tensor& packed, const PackedBatch& batch) {
  const int64_t dim = packed.size(-1);
  const auto index = batch.token_index.to(packed.device());
  return packed.reshape({-1, dim})
      .index_select(0, index.reshape({-1}))
      .view({index.size(0), index.size(1), dim});
}

torch::Tensor first_token_states(const torch::Tensor& packed, const torch::Tensor& cls_index) {
  return packed.reshape({-1, packed.size(-1)}).index_select(0, cls_index);
}

}  // namespace bertgrid::model
