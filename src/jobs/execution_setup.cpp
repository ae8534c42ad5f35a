#include "jobs/execution_setup.h"

#include <chrono>

#include "core/error.h"
#include "train/step_graphs.h"

namespace bertgrid::jobs {
namespace {

torch::Device pick_device(const RunConfig& cfg, int local_rank, int local_size,
                          const std::string& host) {
  const bool want = cfg.run.device == DeviceChoice::kCuda ||
                    (cfg.run.device == DeviceChoice::kAuto && torch::cuda::is_available());
  if (!want) return torch::kCPU;
  if (!torch::cuda::is_available())
    throw Error("run.device = \"cuda\" but no CUDA device is usable here");
  const int n = static_cast<int>(torch::cuda::device_count());
  if (cfg.run.ranks_per_job > 1 && local_size > n)
    throw Error(std::to_string(local_size) + " ranks share " + std::to_string(n) + " GPU(s) on " +
                host + ": NCCL refuses two ranks of one group on one GPU; use ranks_per_job = 1");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % n));
}

}  // namespace

train::Execution make_execution(const RunConfig& cfg, int local_rank, int local_size,
                                const std::string& host, double* seconds) {
  const auto start = std::chrono::steady_clock::now();
  train::Execution exec;
  exec.device = pick_device(cfg, local_rank, local_size, host);
  exec.bf16 = cfg.run.precision == Precision::kBf16;
  exec.fused_adamw = cfg.run.fused_adamw;
  exec.async_copies = cfg.run.async_copies;
  exec.cuda_graphs = cfg.run.cuda_graphs;
  exec.pad_to_multiple_of = cfg.run.pad_to_multiple_of;
  exec.packing = cfg.run.packing;
  if (exec.cuda_graphs && !exec.device.is_cuda())
    throw Error(
        "run.cuda_graphs = true needs a GPU, but this rank runs on the CPU (run.device = \"" +
        to_string(cfg.run.device) + "\")");
  if (exec.cuda_graphs && !train::StepGraphs::available())
    throw Error(
        "run.cuda_graphs = true, but this bertgrid was built against a libtorch without "
        "CUDA graphs");
  if (exec.device.is_cuda()) {
    torch::zeros({1}, exec.device).add_(1);
    torch::cuda::synchronize(exec.device.index());
  }
  if (seconds)
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return exec;
}

}  // namespace bertgrid::jobs
