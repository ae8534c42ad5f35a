// jobs/execution_setup: the [run] section's device and switches for one process (CPU here; on a
// machine with CUDA the "cuda" case takes the GPU instead of failing).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/config.h"
#include "core/error.h"
#include "jobs/execution_setup.h"

namespace {

using bertgrid::jobs::make_execution;

bertgrid::RunConfig config_with_run(const std::string& run) {
  return bertgrid::parse_run_config(
      "name = \"t\"\n[model]\ninit = \"random\"\nvocab = \"v.txt\"\n[run]\n" + run, "c.toml");
}

TEST(ExecutionSetup, SwitchesComeFromTheRunSection) {
  double seconds = -1;
  const auto exec =
      make_execution(config_with_run("device = \"cpu\"\nprecision = \"bf16\"\nfused_adamw = true\n"
                                     "async_copies = false\n"),
                     0, 1, "here", &seconds);
  EXPECT_EQ(exec.device, torch::Device(torch::kCPU));
  EXPECT_TRUE(exec.bf16);
  EXPECT_TRUE(exec.fused_adamw);
  EXPECT_FALSE(exec.async_copies);
  EXPECT_GE(seconds, 0.0);
  const auto plain = make_execution(config_with_run("device = \"cpu\"\n"), 0, 1, "here");
  EXPECT_FALSE(plain.bf16);
  EXPECT_FALSE(plain.fused_adamw);
  EXPECT_TRUE(plain.async_copies);
  EXPECT_FALSE(plain.cuda_graphs);
  EXPECT_EQ(plain.pad_to_multiple_of, 1);
  EXPECT_EQ(
      make_execution(config_with_run("device = \"cpu\"\npad_to_multiple_of = 16\n"), 0, 1, "here")
          .pad_to_multiple_of,
      16);
}

// run.cuda_graphs where the rank lands on the CPU (device "auto" on a machine without a GPU) is
// refused at start-up, not at the first training step.
TEST(ExecutionSetup, CudaGraphsNeedAGpu) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  try {
    make_execution(config_with_run("device = \"auto\"\ncuda_graphs = true\n"), 0, 1, "here");
    FAIL() << "run.cuda_graphs on the CPU was accepted";
  } catch (const bertgrid::Error& e) {
    EXPECT_STREQ(e.what(),
                 "run.cuda_graphs = true needs a GPU, but this rank runs on the CPU (run.device = "
                 "\"auto\")");
  }
}

TEST(ExecutionSetup, AutoTakesAGpuOnlyWhereThereIsOne) {
  const auto exec = make_execution(config_with_run("device = \"auto\"\n"), 0, 1, "here");
  EXPECT_EQ(exec.device.is_cuda(), torch::cuda::is_available());
  if (torch::cuda::is_available()) return;
  try {
    make_execution(config_with_run("device = \"cuda\"\n"), 0, 1, "here");
    FAIL() << "run.device = cuda without a GPU was accepted";
  } catch (const bertgrid::Error& e) {
    EXPECT_STREQ(e.what(), "run.device = \"cuda\" but no CUDA device is usable here");
  }
}

}  // namespace
