// history.csv, the job's and the run's: written with 9 significant digits, read back exactly as
// written, and every unreadable row named by file and line.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "tests/support.h"
#include "train/history_csv.h"

namespace bertgrid::train {
namespace {

using testing::error_of;

std::vector<HistoryEntry> sample() {
  return {{HistoryKind::kTrain, 10, 0.3125, 0.693147181, 4.5e-05, 1.25},
          {HistoryKind::kEval, 32, 1, 0.5123456789, 0, 0},
          {HistoryKind::kTrain, 40, 1.25, std::nan(""), 1e-06, 0.1}};
}

TEST(HistoryCsv, JobFileHasTheHeaderAndNineDigits) {
  EXPECT_EQ(job_history_csv(sample()),
            "kind,step,epoch,loss,lr,grad_norm\n"
            "train,10,0.3125,0.693147181,4.5e-05,1.25\n"
            "eval,32,1,0.512345679,0,0\n"
            "train,40,1.25,nan,1e-06,0.1\n");
}

TEST(HistoryCsv, RunFileStartsEachRowWithTheJobId) {
  const std::vector<HistoryEntry> one = {sample()[0]};
  EXPECT_EQ(run_history_csv({{"a", one}, {"b", {}}, {"c", one}}),
            "job_id,kind,step,epoch,loss,lr,grad_norm\n"
            "a,train,10,0.3125,0.693147181,4.5e-05,1.25\n"
            "c,train,10,0.3125,0.693147181,4.5e-05,1.25\n");
}

TEST(HistoryCsv, ReadsBackWhatItWrites) {
  const std::string text = job_history_csv(sample());
  const auto back = parse_job_history_csv(text, "h.csv");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[1].kind, HistoryKind::kEval);
  EXPECT_EQ(back[1].step, 32);
  EXPECT_DOUBLE_EQ(back[0].loss, 0.693147181);
  EXPECT_TRUE(std::isnan(back[2].loss));
  EXPECT_EQ(job_history_csv(back), text);

  const auto run =
      parse_run_history_csv(run_history_csv({{"a", sample()}, {"b", {sample()[1]}}}), "run.csv");
  ASSERT_EQ(run.size(), 2u);
  EXPECT_EQ(run.at("a").size(), 3u);
  EXPECT_EQ(run.at("b").at(0).step, 32);
}

TEST(HistoryCsv, BadRowsAreNamedByFileAndLine) {
  const std::string header = "kind,step,epoch,loss,lr,grad_norm\n";
  const std::string good = "train,10,0.5,0.7,1e-05,1\n";
  const struct {
    std::string text, expected;
  } cases[] = {
      {header + good + "train,1x,0.5,0.7,1e-05,1\n", "h.csv:3: step '1x' is not an integer"},
      {header + "train,10,0.5,abc,1e-05,1\n", "h.csv:2: loss 'abc' is not a number"},
      {header + good + good + "train,10,0.5\n", "h.csv:4: 3 cells, expected 6"},
      {header + "step,10,0.5,0.7,1e-05,1\n",
       "h.csv:2: unknown history kind \"step\" (must be \"train\" or \"eval\")"},
      {"job_id," + header, "h.csv:1: header 'job_id,kind,step,epoch,loss,lr,grad_norm'"},
      {"", "h.csv:1: header ''"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of([&] { parse_job_history_csv(c.text, "h.csv"); });
    EXPECT_EQ(error.rfind(c.expected, 0), 0u) << error << "\nexpected: " << c.expected;
  }
  EXPECT_EQ(error_of([&] {
              parse_run_history_csv("job_id," + header + "a,train,1\n", "r.csv");
            }).rfind("r.csv:2: 3 cells, expected 7", 0),
            0u);
}

}  // namespace
}  // namespace bertgrid::train
