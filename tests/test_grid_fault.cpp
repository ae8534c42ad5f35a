// The test-only fault spec of `bertgrid run --fault`, and the causes a failed job's record names.
#include <gtest/gtest.h>

#include "core/error.h"
#include "grid/fault.h"
#include "grid/group_jobs.h"

namespace bertgrid::grid {
namespace {

TEST(GridFault, ParsesStepAndStageFaults) {
  const auto t = parse_fault("throw:rank=1:job=finetune-e1:step=2");
  EXPECT_EQ(t.kind, FaultKind::kThrow);
  EXPECT_EQ(t.rank, 1);
  EXPECT_EQ(t.job, "finetune-e1");
  EXPECT_EQ(t.step, 2);
  EXPECT_EQ(parse_fault("nan:step=1").kind, FaultKind::kNan);
  EXPECT_EQ(parse_fault("nan:step=1").rank, -1);
  const auto s = parse_fault("stage:resume scan:rank=0");
  EXPECT_EQ(s.kind, FaultKind::kStage);
  EXPECT_EQ(s.stage, "resume scan");
  EXPECT_EQ(s.rank, 0);
  EXPECT_THROW(parse_fault("stage"), Error);
  EXPECT_THROW(parse_fault("stage:results:step=2"), Error);
  EXPECT_THROW(parse_fault("explode:rank=0"), Error);
  EXPECT_THROW(parse_fault("throw:rank=one"), Error);
}

TEST(GridFault, StageFaultFiresOnlyInItsStageAndRank) {
  const std::optional<FaultSpec> fault = parse_fault("stage:manifest:rank=0");
  EXPECT_NO_THROW(inject_stage_fault(fault, "results", 0));
  EXPECT_NO_THROW(inject_stage_fault(fault, "manifest", 1));
  EXPECT_THROW(inject_stage_fault(fault, "manifest", 0), Error);
  EXPECT_NO_THROW(inject_stage_fault(std::nullopt, "manifest", 0));
  EXPECT_EQ(step_fault_hook(fault, "finetune-e1", 0), nullptr);
}

TEST(GridFault, StepFaultHookActsAtItsStep) {
  const auto hook = step_fault_hook(parse_fault("nan:job=head:step=3"), "head-CLS-e1", 1);
  ASSERT_NE(hook, nullptr);
  torch::Tensor loss = torch::ones({1});
  hook(2, loss);
  EXPECT_EQ(loss.item<float>(), 1.0f);
  hook(3, loss);
  EXPECT_TRUE(std::isnan(loss.item<float>()));
  EXPECT_EQ(step_fault_hook(parse_fault("throw:job=head"), "finetune-e1", 0), nullptr);
}

TEST(GridFailureCauses, NameTheRanksThatFailed) {
  EXPECT_EQ(failure_causes({"step 2: loss is NaN"}, 3), "step 2: loss is NaN");
  EXPECT_EQ(failure_causes({"", "step 2: boom"}, 2), "rank 3: step 2: boom");
  EXPECT_EQ(failure_causes({"step 1: a", "", "step 1: b"}, 0),
            "rank 0: step 1: a; rank 2: step 1: b");
  EXPECT_EQ(failure_causes({"", ""}, 0), "");
}

}  // namespace
}  // namespace bertgrid::grid
