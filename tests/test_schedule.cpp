// Tests for train/schedule: golden learning rates, edge cases and step-count helpers.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "train/schedule.h"

namespace {

using bertgrid::train::LinearSchedule;

nlohmann::json read_golden(const std::string& name) {
  std::ifstream in(std::string(BERTGRID_SHARED_DIR) + "/golden/" + name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

// Golden lr values are printed from Python floats; 1e-9 absolute.
void expect_golden_lrs(const std::string& file) {
  const auto golden = read_golden(file);
  LinearSchedule schedule(golden.at("lr").get<double>(), golden.at("warmup_steps").get<int64_t>(),
                          golden.at("total_steps").get<int64_t>());
  const auto& trace = golden.at("trace");
  ASSERT_EQ(trace.size(), 6u);
  for (const auto& row : trace) {
    const auto step = row.at("step").get<int64_t>();
    EXPECT_NEAR(schedule.lr(step), row.at("lr").get<double>(), 1e-9) << file << " step " << step;
  }
}

TEST(Schedule, MatchesTrainTraceGolden) {
  expect_golden_lrs("train_trace.json");
}

TEST(Schedule, MatchesTrainStrongGolden) {
  expect_golden_lrs("train_strong.json");
}

TEST(Schedule, WarmupThenLinearDecay) {
  LinearSchedule s(1.0, 4, 10);
  const std::vector<double> want = {0.0,     0.25, 0.5,     0.75,    1.0, 5.0 / 6,
                                    4.0 / 6, 0.5,  2.0 / 6, 1.0 / 6, 0.0, 0.0};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_DOUBLE_EQ(s.multiplier(static_cast<int64_t>(i)), want[i]) << i;
  }
  EXPECT_DOUBLE_EQ(LinearSchedule(2e-5, 4, 10).lr(2), 1e-5);
}

TEST(Schedule, ZeroWarmupStartsAtPeak) {
  LinearSchedule s(1.0, 0, 4);
  EXPECT_DOUBLE_EQ(s.multiplier(0), 1.0);
  EXPECT_DOUBLE_EQ(s.multiplier(1), 0.75);
  EXPECT_DOUBLE_EQ(s.multiplier(3), 0.25);
  EXPECT_DOUBLE_EQ(s.multiplier(4), 0.0);
}

TEST(Schedule, WarmupAtLeastTotalOnlyWarmsUp) {
  LinearSchedule longer(1.0, 8, 4);
  EXPECT_DOUBLE_EQ(longer.multiplier(0), 0.0);
  EXPECT_DOUBLE_EQ(longer.multiplier(3), 3.0 / 8);
  EXPECT_DOUBLE_EQ(longer.multiplier(8), 0.0);  // (4-8)/max(1,-4) < 0 -> 0
  LinearSchedule equal(1.0, 4, 4);
  EXPECT_DOUBLE_EQ(equal.multiplier(3), 0.75);
  EXPECT_DOUBLE_EQ(equal.multiplier(4), 0.0);
  EXPECT_THROW(LinearSchedule(1.0, -1, 4), bertgrid::Error);
}

TEST(Schedule, WarmupFromRatioIsPythonCeil) {
  EXPECT_EQ(bertgrid::train::warmup_from_ratio(0.0, 100), 0);
  EXPECT_EQ(bertgrid::train::warmup_from_ratio(0.1, 60), 6);
  EXPECT_EQ(bertgrid::train::warmup_from_ratio(0.05, 239), 12);  // 11.95
  EXPECT_EQ(bertgrid::train::warmup_from_ratio(0.07, 100), 8);   // 7.000000000000001 in double
  EXPECT_THROW(bertgrid::train::warmup_from_ratio(-0.1, 10), bertgrid::Error);
}

TEST(Schedule, TotalStepsKeepsLastPartialBatch) {
  EXPECT_EQ(bertgrid::train::total_steps(1914, 16, 2), 240);  // ceil(119.625) * 2
  EXPECT_EQ(bertgrid::train::total_steps(32, 16, 3), 6);
  EXPECT_EQ(bertgrid::train::total_steps(0, 16, 3), 0);
  EXPECT_THROW(bertgrid::train::total_steps(10, 0, 1), bertgrid::Error);
}

TEST(Schedule, NotebookWarmupTruncates) {
  // int(int(1914/16*2) * 0.05) = int(239 * 0.05) = int(11.95) = 11
  EXPECT_EQ(bertgrid::train::notebook_warmup_steps(1914, 16, 2, 0.05), 11);
  EXPECT_EQ(bertgrid::train::notebook_warmup_steps(1914, 32, 4, 0.05), 11);  // int(239.25)=239
}

}  // namespace
