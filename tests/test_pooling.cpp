// Tests for the five pooling strategies against golden/forward.safetensors (1e-5 absolute).
#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "model/pooling.h"
#include "model/safetensors.h"
#include "tests/tensor_compare.h"

namespace bertgrid::model {
using bertgrid::testing::max_abs_diff;
using bertgrid::testing::sci;

namespace {

const std::string kForward = std::string(BERTGRID_SHARED_DIR) + "/golden/forward.safetensors";
constexpr double kTol = 1e-5;  // golden/README.md, absolute

// All tensors of a safetensors file by name.
std::map<std::string, torch::Tensor> read_tensors(const std::string& path) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, tensor] : load_safetensors(path).tensors) out[name] = tensor;
  return out;
}

struct Golden {
  std::map<std::string, torch::Tensor> t = read_tensors(kForward);
  std::vector<torch::Tensor> hidden() const {
    return {t.at("hidden_state_0"), t.at("hidden_state_1"), t.at("hidden_state_2")};
  }
};

class PoolingGolden : public ::testing::TestWithParam<Strategy> {};

TEST_P(PoolingGolden, MaskedMatchesGolden) {
  Golden g;
  auto pooled = pool(g.hidden(), g.t.at("attention_mask"), GetParam());
  const double diff = max_abs_diff(pooled, g.t.at("pooled_" + to_string(GetParam())));
  RecordProperty("max_abs_diff", sci(diff));
  EXPECT_LT(diff, kTol);
}

class NotebookPoolingGolden : public ::testing::TestWithParam<Strategy> {};

TEST_P(NotebookPoolingGolden, MatchesUnmaskedGolden) {
  Golden g;
  auto pooled = pool(g.hidden(), g.t.at("attention_mask"), GetParam(), PoolingMode::kNotebook);
  const auto name = "pooled_" + to_string(GetParam()) + "_unmasked_seed";
  const double diff = max_abs_diff(pooled, g.t.at(name));
  RecordProperty("max_abs_diff", sci(diff));
  EXPECT_LT(diff, kTol);
  // The batch is padded (8x65), so the notebook variant differs from the masked one.
  EXPECT_GT(max_abs_diff(pooled, g.t.at("pooled_" + to_string(GetParam()))), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, PoolingGolden, ::testing::ValuesIn(kAllStrategies),
                         [](const auto& info) { return to_string(info.param); });
// CLS has no unmasked variant in the golden (position 0 is the same either way).
INSTANTIATE_TEST_SUITE_P(MeanAndMax, NotebookPoolingGolden,
                         ::testing::Values(Strategy::LAST_MEAN, Strategy::LAST_MAX,
                                           Strategy::LAST2_MEAN, Strategy::LAST2_MAX),
                         [](const auto& info) { return to_string(info.param); });

TEST(Pooling, PoolAllMatchesPoolInOrder) {
  Golden g;
  auto all = pool_all(g.hidden(), g.t.at("attention_mask"));
  for (int i = 0; i < kNumStrategies; ++i) {
    EXPECT_TRUE(
        torch::equal(all[i], pool(g.hidden(), g.t.at("attention_mask"), kAllStrategies[i])));
    EXPECT_LT(max_abs_diff(all[i], g.t.at("pooled_" + to_string(kAllStrategies[i]))), kTol);
  }
}

TEST(Pooling, MaskedExcludesClsAndPaddingByHand) {
  // One sequence: [CLS]=100, tokens 1 and 3, padding 1000 (must not count).
  auto h = torch::tensor({100.f, 1.f, 3.f, 1000.f}).view({1, 4, 1});
  auto mask = torch::tensor({{1, 1, 1, 0}}, torch::kLong);
  std::vector<torch::Tensor> hidden = {h, h};
  EXPECT_FLOAT_EQ(pool(hidden, mask, Strategy::LAST_MEAN).item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(pool(hidden, mask, Strategy::LAST_MAX).item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(pool(hidden, mask, Strategy::CLS).item<float>(), 100.0f);
  EXPECT_FLOAT_EQ(pool(hidden, mask, Strategy::LAST_MEAN, PoolingMode::kNotebook).item<float>(),
                  (1.0f + 3.0f + 1000.0f) / 3.0f);
  EXPECT_FLOAT_EQ(pool(hidden, mask, Strategy::LAST_MAX, PoolingMode::kNotebook).item<float>(),
                  1000.0f);
}

TEST(Pooling, Last2UsesSecondToLastLayer) {
  auto a = torch::full({1, 3, 2}, 1.0f);
  auto b = torch::full({1, 3, 2}, 2.0f);
  auto c = torch::full({1, 3, 2}, 3.0f);
  auto mask = torch::ones({1, 3}, torch::kLong);
  EXPECT_FLOAT_EQ(pool({a, b, c}, mask, Strategy::LAST2_MEAN)[0][0].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(pool({a, b, c}, mask, Strategy::LAST_MAX)[0][1].item<float>(), 3.0f);
}

TEST(Pooling, ClsOnlySequencePoolsToZeros) {
  auto h = torch::full({1, 2, 3}, 5.0f);
  auto mask = torch::tensor({{1, 0}}, torch::kLong);
  EXPECT_EQ(pool({h, h}, mask, Strategy::LAST_MEAN).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(pool({h, h}, mask, Strategy::LAST_MAX).abs().max().item<float>(), 0.0f);
}

TEST(Pooling, NeedsTwoHiddenStates) {
  auto h = torch::zeros({1, 2, 3});
  EXPECT_THROW(pool({h}, torch::ones({1, 2}), Strategy::CLS), Error);
}

}  // namespace
}  // namespace bertgrid::model
