// Tests for train/batching: shuffle, batches, padding, eval ordering, sharding.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "train/batching.h"

namespace {

using namespace bertgrid::train;

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
