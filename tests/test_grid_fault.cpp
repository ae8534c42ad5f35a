// The test-only fault spec of `bertgrid run --fault`, and the causes a failed job's record names.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "core/error.h"
#include "core/file_read.h"
#include "grid/fault.h"
#include "grid/group_jobs.h"
#include "tests/support.h"

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
  const auto sig = parse_fault("signal:sig=USR1:rank=1:job=finetune:step=4");
  EXPECT_EQ(sig.kind, FaultKind::kSignal);
  EXPECT_EQ(sig.signal, SIGUSR1);
  EXPECT_EQ(sig.step, 4);
  EXPECT_EQ(parse_fault("signal:sig=TERM").signal, SIGTERM);
  EXPECT_THROW(parse_fault("signal:step=2"), Error);    // which signal?
  EXPECT_THROW(parse_fault("signal:sig=KILL"), Error);  // only the stop signals
  EXPECT_THROW(parse_fault("throw:sig=TERM"), Error);   // sig belongs to signal
  EXPECT_EQ(parse_fault("kill:job=e2:step=7").kind, FaultKind::kKill);
}

TEST(GridFault, StageFaultFiresOnlyInItsStageAndRank) {
  const std::optional<FaultSpec> fault = parse_fault("stage:manifest:rank=0");
  EXPECT_NO_THROW(inject_stage_fault(fault, "results", 0));
  EXPECT_NO_THROW(inject_stage_fault(fault, "manifest", 1));
  EXPECT_THROW(inject_stage_fault(fault, "manifest", 0), Error);
  EXPECT_NO_THROW(inject_stage_fault(std::nullopt, "manifest", 0));
  EXPECT_EQ(step_fault_hook(fault, "finetune-e1", 0), nullptr);
}

// The NaN fault is computed from the step on the device (a captured graph replays it), not
// from the host's step number; the throw fault is host code.
TEST(GridFault, StepFaultHookActsAtItsStep) {
  const auto hook = step_fault_hook(parse_fault("nan:job=head:step=3"), "head-CLS-e1", 1);
  ASSERT_NE(hook, nullptr);
  torch::Tensor loss = torch::ones({1});
  hook(3, torch::tensor(2, torch::kLong), loss);
  EXPECT_EQ(loss.item<float>(), 1.0f);
  hook(2, torch::tensor(3, torch::kLong), loss);
  EXPECT_TRUE(std::isnan(loss.item<float>()));
  const auto thrower = step_fault_hook(parse_fault("throw:job=head:step=3"), "head-CLS-e1", 1);
  torch::Tensor fine = torch::ones({1});
  EXPECT_NO_THROW(thrower(2, torch::tensor(3, torch::kLong), fine));
  EXPECT_THROW(thrower(3, torch::tensor(2, torch::kLong), fine), Error);
  EXPECT_EQ(step_fault_hook(parse_fault("throw:job=head"), "finetune-e1", 0), nullptr);
}

// The kill fault leaves what a SIGKILL in the middle of a checkpoint write leaves: the previous
// checkpoint as it was and a half-written temporary file beside it.
TEST(GridFault, KillFaultDiesInsideTheCheckpointWrite) {
  testing::TempDir dir;
  const std::string path = dir.write("checkpoint.safetensors", "previous");
  const auto hook = checkpoint_fault_hook(parse_fault("kill:rank=1:job=e2:step=7"), "ft-e2", 1);
  ASSERT_NE(hook, nullptr);
  EXPECT_EQ(checkpoint_fault_hook(parse_fault("kill:rank=1:job=e2:step=7"), "ft-e2", 0), nullptr);
  EXPECT_EQ(step_fault_hook(parse_fault("kill:job=e2"), "ft-e2", 0), nullptr);
  hook(6, path);  // before step 7: nothing happens
  const pid_t child = fork();
  if (child == 0) {
    hook(12, path);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(read_file(path), "previous");
  EXPECT_EQ(dir.entries(), 2u);  // the checkpoint and a temporary file
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
