// Tests for train/metrics: hand-computed confusion matrices and rates.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "train/metrics.h"

namespace {

using bertgrid::train::binary_metrics;

TEST(Metrics, HandComputedMixedCase) {
  // true:  1 1 1 1 0 0 0 0 0 0
  // pred:  1 1 1 0 0 0 0 0 1 1   -> TP 3, FN 1, TN 4, FP 2
  const auto m = binary_metrics({1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, {1, 1, 1, 0, 0, 0, 0, 0, 1, 1});
  EXPECT_EQ(m.confusion[0][0], 4);
  EXPECT_EQ(m.confusion[0][1], 2);
  EXPECT_EQ(m.confusion[1][0], 1);
  EXPECT_EQ(m.confusion[1][1], 3);
  EXPECT_EQ(m.count, 10);
  EXPECT_DOUBLE_EQ(m.acc_hate, 0.75);
  EXPECT_DOUBLE_EQ(m.acc_no_hate, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.acc_all, 0.7);
  EXPECT_DOUBLE_EQ(m.precision, 0.6);
  EXPECT_DOUBLE_EQ(m.recall, 0.75);
  EXPECT_DOUBLE_EQ(m.f1, 2 * 0.6 * 0.75 / 1.35);  // = 2/3
  EXPECT_NEAR(m.f1, 2.0 / 3.0, 1e-15);
}

TEST(Metrics, EmptyClassGivesNaN) {
  const auto m = binary_metrics({0, 0, 0}, {0, 1, 0});
  EXPECT_TRUE(std::isnan(m.acc_hate));
  EXPECT_TRUE(std::isnan(m.recall));
  EXPECT_TRUE(std::isnan(m.f1));
  EXPECT_DOUBLE_EQ(m.acc_no_hate, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.precision, 0.0);  // one hate prediction, wrong
  EXPECT_TRUE(std::isnan(binary_metrics({}, {}).acc_all));
}

TEST(Metrics, NoHatePredictedGivesNaNPrecisionAndZeroRecall) {
  const auto m = binary_metrics({1, 0}, {0, 0});
  EXPECT_TRUE(std::isnan(m.precision));
  EXPECT_DOUBLE_EQ(m.recall, 0.0);
  EXPECT_DOUBLE_EQ(m.acc_all, 0.5);
}

TEST(Metrics, PerfectPredictionsAndZeroF1) {
  const auto perfect = binary_metrics({1, 0, 1}, {1, 0, 1});
  EXPECT_DOUBLE_EQ(perfect.f1, 1.0);
  EXPECT_DOUBLE_EQ(perfect.acc_all, 1.0);
  const auto wrong = binary_metrics({1, 0}, {0, 1});  // P = 0, R = 0
  EXPECT_DOUBLE_EQ(wrong.f1, 0.0);
}

TEST(Metrics, RejectsBadInput) {
  EXPECT_THROW(binary_metrics({1, 0}, {1}), bertgrid::Error);
  EXPECT_THROW(binary_metrics({2}, {1}), bertgrid::Error);
}

TEST(Metrics, ArgmaxLabelsTieGoesToNoHate) {
  auto scores = torch::tensor({0.2f, 0.8f, 0.9f, 0.1f, 0.5f, 0.5f, -1.0f, 3.0f}).view({4, 2});
  EXPECT_EQ(bertgrid::train::argmax_labels(scores), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_THROW(bertgrid::train::argmax_labels(torch::zeros({3})), bertgrid::Error);
}

}  // namespace
