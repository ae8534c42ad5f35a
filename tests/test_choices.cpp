// The typed choices (core/choices.h): each name written and read back, and unknown names
// rejected with the allowed ones.
#include <gtest/gtest.h>

#include "core/choices.h"
#include "core/error.h"

namespace bertgrid {
namespace {

template <typename E>
void expect_names_round_trip(std::initializer_list<std::pair<E, const char*>> expected) {
  ASSERT_EQ(ChoiceNames<E>::kNames.size(), expected.size());
  for (const auto& [value, name] : expected) {
    EXPECT_EQ(to_string(value), name);
    EXPECT_EQ(choice_from_string<E>(name), value);
    EXPECT_EQ(parse_choice<E>(name), value);
  }
}

TEST(Choices, NamesAreTheOnesWrittenToFiles) {
  expect_names_round_trip<ModelInit>(
      {{ModelInit::kPretrained, "pretrained"}, {ModelInit::kRandom, "random"}});
  expect_names_round_trip<Activation>({{Activation::kGelu, "gelu"}, {Activation::kRelu, "relu"}});
  expect_names_round_trip<PoolingMode>(
      {{PoolingMode::kMasked, "masked"}, {PoolingMode::kNotebook, "notebook"}});
  expect_names_round_trip<PaddingMode>(
      {{PaddingMode::kDynamic, "dynamic"}, {PaddingMode::kCorpus, "corpus"}});
  expect_names_round_trip<Precision>({{Precision::kFp32, "fp32"}, {Precision::kBf16, "bf16"}});
  expect_names_round_trip<DeviceChoice>(
      {{DeviceChoice::kAuto, "auto"}, {DeviceChoice::kCpu, "cpu"}, {DeviceChoice::kCuda, "cuda"}});
  expect_names_round_trip<Strategy>({{Strategy::CLS, "CLS"},
                                     {Strategy::LAST_MEAN, "LAST_MEAN"},
                                     {Strategy::LAST_MAX, "LAST_MAX"},
                                     {Strategy::LAST2_MEAN, "LAST2_MEAN"},
                                     {Strategy::LAST2_MAX, "LAST2_MAX"}});
}

TEST(Choices, AllStrategiesAreInEnumOrder) {
  ASSERT_EQ(kAllStrategies.size(), ChoiceNames<Strategy>::kNames.size());
  for (std::size_t i = 0; i < kAllStrategies.size(); ++i)
    EXPECT_EQ(to_string(kAllStrategies[i]), ChoiceNames<Strategy>::kNames[i]);
}

TEST(Choices, MatchingIsExact) {
  EXPECT_FALSE(parse_choice<Precision>("FP32").has_value());
  EXPECT_FALSE(parse_choice<Strategy>("cls").has_value());
  EXPECT_FALSE(parse_choice<DeviceChoice>("cuda ").has_value());
  EXPECT_FALSE(parse_choice<PoolingMode>("").has_value());
}

TEST(Choices, UnknownNamesAreErrorsListingTheAllowedOnes) {
  try {
    choice_from_string<Strategy>("LAST3_MEAN");
    FAIL() << "LAST3_MEAN was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "unknown strategy \"LAST3_MEAN\" (must be \"CLS\", \"LAST_MEAN\", \"LAST_MAX\", "
                 "\"LAST2_MEAN\" or \"LAST2_MAX\")");
  }
  try {
    choice_from_string<Precision>("fp16");
    FAIL() << "fp16 was accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown precision \"fp16\" (must be \"fp32\" or \"bf16\")");
  }
  EXPECT_EQ(allowed_names<DeviceChoice>(), "\"auto\", \"cpu\" or \"cuda\"");
}

}  // namespace
}  // namespace bertgrid
