// Tests for train/batching: shuffle, batches, padding, eval ordering, sharding.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "train/batching.h"

namespace {

using namespace bertgrid::train;
using namespace bertgrid::text;

TEST(Batching, PermutationMatchesReferenceValues) {
  // Expected values from an independent Python re-implementation of SplitMix64 + Fisher-Yates.
  EXPECT_EQ(epoch_permutation(42, 0, 10), (std::vector<int64_t>{9, 6, 0, 1, 8, 7, 5, 2, 4, 3}));
  EXPECT_EQ(epoch_permutation(42, 1, 10), (std::vector<int64_t>{2, 6, 0, 8, 4, 9, 7, 5, 3, 1}));
  EXPECT_EQ(epoch_permutation(7, 0, 10), (std::vector<int64_t>{8, 6, 5, 3, 2, 4, 0, 9, 1, 7}));
  EXPECT_EQ(epoch_permutation(~uint64_t{0}, 3, 12),
            (std::vector<int64_t>{2, 4, 9, 10, 5, 6, 8, 1, 7, 0, 3, 11}));
}

TEST(Batching, PermutationIsAPermutationAndDeterministic) {
  auto p = epoch_permutation(123, 5, 1000);
  EXPECT_EQ(p, epoch_permutation(123, 5, 1000));
  EXPECT_NE(p, epoch_permutation(123, 6, 1000));
  EXPECT_NE(p, epoch_permutation(124, 5, 1000));
  std::sort(p.begin(), p.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(p[static_cast<size_t>(i)], i);
  EXPECT_TRUE(epoch_permutation(1, 0, 0).empty());
  EXPECT_EQ(epoch_permutation(1, 0, 1), (std::vector<int64_t>{0}));
}

TEST(Batching, BatchesKeepSmallerLastBatch) {
  const auto b = make_batches({5, 3, 9, 1, 0, 2, 7}, 3);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (std::vector<int64_t>{5, 3, 9}));
  EXPECT_EQ(b[1], (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(b[2], (std::vector<int64_t>{7}));
  EXPECT_TRUE(make_batches({}, 4).empty());
  EXPECT_THROW(make_batches({1}, 0), bertgrid::Error);
}

TEST(Batching, PadsToLongestInBatch) {
  const std::vector<std::vector<int32_t>> ids = {{101, 7, 102}, {101, 102}, {101, 5, 6, 7, 102}};
  const std::vector<int> labels = {1, 0, 1};
  const Batch b = pad_batch(ids, labels, {1, 0}, 0);
  EXPECT_EQ(b.input_ids.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(b.input_ids,
                           torch::tensor({101, 102, 0, 101, 7, 102}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(b.attention_mask,
                           torch::tensor({1, 1, 0, 1, 1, 1}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(b.labels, torch::tensor({0, 1}, torch::kInt64)));

  const Batch c = pad_batch(ids, labels, {2, 1}, 99);
  EXPECT_EQ(c.input_ids.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(c.input_ids[1][4].item<int64_t>(), 99);
  EXPECT_EQ(c.attention_mask.sum().item<int64_t>(), 7);
  EXPECT_THROW(pad_batch(ids, labels, {3}, 0), bertgrid::Error);
  EXPECT_THROW(pad_batch(ids, labels, {}, 0), bertgrid::Error);
}

TEST(Batching, LengthSortedOrderIsLongestFirstAndStable) {
  const std::vector<int64_t> lengths = {3, 7, 3, 9, 1, 7};
  const auto order = length_sorted_order(lengths);
  EXPECT_EQ(order, (std::vector<int64_t>{3, 1, 5, 0, 2, 4}));
  // Predictions made in that order go back to example order.
  const std::vector<int64_t> preds_in_order = {30, 10, 50, 0, 20, 40};
  EXPECT_EQ(restore_order(preds_in_order, order), (std::vector<int64_t>{0, 10, 20, 30, 40, 50}));
  auto t = torch::tensor({30, 10, 50, 0, 20, 40}, torch::kFloat32).view({6, 1}).repeat({1, 2});
  auto back = restore_order(t, order);
  EXPECT_TRUE(
      torch::equal(back.select(1, 1), torch::tensor({0, 10, 20, 30, 40, 50}, torch::kFloat32)));
  EXPECT_THROW(restore_order(preds_in_order, {0, 1}), bertgrid::Error);
}

TEST(Batching, ShardsAreContiguousAndBalanced) {
  // 10 examples on 4 ranks: 3, 3, 2, 2.
  std::vector<int64_t> counts;
  int64_t next = 0;
  for (int r = 0; r < 4; ++r) {
    const Shard s = shard_range(10, r, 4);
    EXPECT_EQ(s.begin, next);
    next += s.count;
    counts.push_back(s.count);
  }
  EXPECT_EQ(next, 10);
  EXPECT_EQ(counts, (std::vector<int64_t>{3, 3, 2, 2}));
  EXPECT_EQ(shard_batch({8, 1, 6, 4, 2}, 1, 2), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(shard_batch({8, 1, 6, 4, 2}, 0, 2), (std::vector<int64_t>{8, 1, 6}));
  // More ranks than examples: the last ranks get nothing.
  EXPECT_EQ(shard_range(2, 2, 3).count, 0);
  EXPECT_EQ(shard_range(2, 1, 3).begin, 1);
  EXPECT_THROW(shard_range(4, 2, 2), bertgrid::Error);
}

}  // namespace

// run.pad_to_multiple_of: the longest row rounded up, capped by the model's positions unless
// the row itself is longer; padding columns are pad ids with mask 0.
TEST(Batching, PaddedLengthRoundsUpWithinTheLimit) {
  using bertgrid::train::padded_length;
  using bertgrid::train::PadTo;
  EXPECT_EQ(padded_length(13, PadTo{}), 13);
  EXPECT_EQ(padded_length(13, PadTo{8, 0}), 16);
  EXPECT_EQ(padded_length(16, PadTo{8, 0}), 16);
  EXPECT_EQ(padded_length(17, PadTo{8, 512}), 24);
  EXPECT_EQ(padded_length(500, PadTo{48, 512}), 512);  // 528 would pass the positions
  EXPECT_EQ(padded_length(600, PadTo{48, 512}), 600);  // the row itself is longer: untouched
  EXPECT_EQ(padded_length(0, PadTo{8, 0}), 0);
  EXPECT_THROW(padded_length(5, PadTo{0, 0}), bertgrid::Error);

  const std::vector<std::vector<int32_t>> ids = {{5, 6, 7}, {8}};
  const std::vector<int64_t> labels = {1, 0};
  const auto b = bertgrid::train::pad_batch(ids, labels, {0, 1}, 99, torch::kCPU, PadTo{4, 0});
  ASSERT_EQ(b.input_ids.sizes(), torch::IntArrayRef({2, 4}));
  EXPECT_TRUE(b.input_ids.equal(torch::tensor({{5, 6, 7, 99}, {8, 99, 99, 99}}).to(torch::kInt64)));
  EXPECT_TRUE(
      b.attention_mask.equal(torch::tensor({{1, 1, 1, 0}, {1, 0, 0, 0}}).to(torch::kInt64)));
}

// group_by_length: HF's LengthGroupedSampler rule on a given shuffle. 20 rows, batch 2: megabatches
// of min(20 / 8, 50) * 2 = 4 rows, each longest first; the longest row (18, length 25, in the
// fourth megabatch) swapped to the front. Expected values from the rule applied by hand (and in
// Python's sorted, which is stable like std::stable_sort).
TEST(Batching, LengthGroupedOrderFollowsHfGroupByLength) {
  std::vector<int64_t> lengths, order;
  for (int64_t i = 0; i < 20; ++i) {
    lengths.push_back((i * 37) % 23 + 3);
    order.push_back((i * 7) % 20);
  }
  EXPECT_EQ(
      length_grouped_order(order, lengths, 2),
      (std::vector<int64_t>{18, 14, 7, 0, 8, 9, 2, 15, 3, 16, 17, 10, 1, 11, 4, 5, 13, 6, 19, 12}));
  // Batch 8: one megabatch of 8 rows (20 / 32 rounds to 0, so 1), then 8, then the last 4.
  EXPECT_EQ(
      length_grouped_order(order, lengths, 8),
      (std::vector<int64_t>{18, 1, 14, 9, 7, 2, 15, 0, 8, 3, 16, 11, 4, 17, 10, 5, 13, 6, 19, 12}));
  // The point of it: fewer padded cells (batch rows times the batch's longest row).
  auto padded_cells = [&](const std::vector<int64_t>& o) {
    int64_t cells = 0;
    for (const auto& b : make_batches(o, 2)) {
      int64_t longest = 0;
      for (int64_t r : b) longest = std::max(longest, lengths[static_cast<size_t>(r)]);
      cells += longest * static_cast<int64_t>(b.size());
    }
    return cells;
  };
  EXPECT_LT(padded_cells(length_grouped_order(order, lengths, 2)), padded_cells(order));
  EXPECT_TRUE(length_grouped_order({}, lengths, 2).empty());
  EXPECT_THROW(length_grouped_order({0, 20}, lengths, 2), bertgrid::Error);
}
