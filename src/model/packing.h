// Packed batches: the sentences of a batch laid end to end in rows of R tokens, instead of each
// padded to the batch's longest. A padded batch of 16 training sentences holds about 2.5 token
// slots per real token; packed, about 1.2. Each sentence keeps its own positions (0, 1, ... from
// its first token) and attends only to itself: DistilBertModel::forward_packed builds a
// block-diagonal mask from the segment ids. Each row's tail (the slots after its last sentence)
// is a segment of its own, so that no query row is wholly masked.
#pragma once

#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace bertgrid::model {

// Where each sentence goes: row and first column, sentences placed longest first into the first
// row with room (first-fit decreasing; ties in batch order). Pure arithmetic, for tests.
struct PackLayout {
  int64_t row_length = 0;
  int64_t rows = 0;
  std::vector<int64_t> row;    // per sentence, in batch order
  std::vector<int64_t> start;  // per sentence: its first column
};
// Throws bertgrid::Error for an empty sentence, one longer than row_length, or no sentences.
PackLayout plan_packing(const std::vector<int64_t>& lengths, int64_t row_length);

// A packed batch of n sentences in `rows` rows of R tokens (CPU int64 tensors unless moved).
struct PackedBatch {
  torch::Tensor input_ids;     // [rows, R]: token ids; pad ids in the tails
  torch::Tensor position_ids;  // [rows, R]: 0.. from each sentence's first token; 0 in the tails
  torch::Tensor segment_ids;   // [rows, R]: sentence i is i; row r's tail is n + r
  torch::Tensor cls_index;     // [n]: flat position (row * R + column) of sentence i's first token
  // For going back to the padded layout [n, L] (L = the longest sentence): the flat position of
  // sentence i's token t, and 1 where t < its length (the padded batch's attention mask). Past a
  // sentence's end the index repeats its first token, which the mask hides.
  torch::Tensor token_index;  // [n, L]
  torch::Tensor token_mask;   // [n, L]
};

// How long the rows are: the batch's longest sentence, but at least `at_least`, rounded up to a
// multiple of `multiple`; and the model's positions (> 0: a longer sentence is an error).
struct PackRows {
  int64_t at_least = 0;
  int64_t multiple = 1;
  int64_t max_positions = 0;
};
int64_t packed_row_length(int64_t longest, const PackRows& rows);

// Packs ids[indices[i]] as sentence i. Positions are checked here, where they are made.
template <typename Id>
PackedBatch pack_sentences(const std::vector<std::vector<Id>>& ids,
                           const std::vector<int64_t>& indices, int64_t pad_id,
                           const PackRows& rows = {});

// Hidden states [rows, R, dim] of a packed forward pass -> [n, L, dim] in the padded layout
// (positions past a sentence's end hold its first token's state; token_mask marks the real ones).
torch::Tensor unpack_states(const torch::Tensor& packed, const PackedBatch& batch);
// Each sentence's first-token state: [rows, R, dim] -> [n, dim].
torch::Tensor first_token_states(const torch::Tensor& packed, const torch::Tensor& cls_index);

// ---- template definition ---------------------------------------------------------------------

namespace detail {
// Everything but the token ids, which are left as pad_id.
PackedBatch empty_packed_batch(const PackLayout& layout, const std::vector<int64_t>& lengths,
                               int64_t pad_id);
}  // namespace detail

template <typename Id>
PackedBatch pack_sentences(const std::vector<std::vector<Id>>& ids,
                           const std::vector<int64_t>& indices, int64_t pad_id,
                           const PackRows& rows) {
  std::vector<int64_t> lengths;
  lengths.reserve(indices.size());
  for (int64_t index : indices) {
    if (index < 0 || static_cast<size_t>(index) >= ids.size())
      throw Error("pack: index " + std::to_string(index) + " outside 0.." +
                  std::to_string(ids.size()));
    const auto length = static_cast<int64_t>(ids[static_cast<size_t>(index)].size());
    if (rows.max_positions > 0 && length > rows.max_positions)
      throw Error("pack: sentence " + std::to_string(index) + " has " + std::to_string(length) +
                  " tokens, more than max_position_embeddings " +
                  std::to_string(rows.max_positions));
    lengths.push_back(length);
  }
  const int64_t longest = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
  const PackLayout layout = plan_packing(lengths, packed_row_length(longest, rows));
  PackedBatch batch = detail::empty_packed_batch(layout, lengths, pad_id);
  int64_t* id_data = batch.input_ids.data_ptr<int64_t>();
  for (size_t i = 0; i < indices.size(); ++i) {
    const auto& seq = ids[static_cast<size_t>(indices[i])];
    int64_t* out = id_data + layout.row[i] * layout.row_length + layout.start[i];
    for (size_t t = 0; t < seq.size(); ++t) out[t] = static_cast<int64_t>(seq[t]);
  }
  return batch;
}

}  // namespace bertgrid::model
