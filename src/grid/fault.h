// Failures injected for tests (`bertgrid run --fault SPEC`), never in real runs:
//   throw:rank=R:job=SUBSTR:step=S  an exception inside step S of the jobs whose id holds SUBSTR
//   nan:rank=R:job=SUBSTR:step=S    the loss of that step set to NaN
//   signal:sig=TERM|USR1:rank=R:job=SUBSTR:step=S
//                                   that signal raised inside step S (the real stop path follows)
//   kill:rank=R:job=SUBSTR:step=S   SIGKILL halfway through the first checkpoint write of the
//                                   job after step S: its temporary file is left half written
//   stage:NAME[:rank=R]             an exception in the runner's stage NAME (e.g. "resume scan")
// rank=R: on world rank R only; without it, on every rank that runs the step or stage.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace bertgrid::grid {

enum class FaultKind { kThrow, kNan, kSignal, kKill, kStage };

struct FaultSpec {
  FaultKind kind = FaultKind::kThrow;
  int rank = -1;  // -1: every rank
  std::string job;
  int64_t step = 0;
  std::string stage;  // kStage: the stage's name
  int signal = 0;     // kSignal: SIGTERM or SIGUSR1
};

FaultSpec parse_fault(const std::string& spec);

// The step hook for one job on world rank `rank` (null when the fault does not apply there), as
// JobEnv::fault takes it: (step, the step on the device, this rank's loss sum).
using StepFaultHook =
    std::function<void(int64_t step, const torch::Tensor& device_step, torch::Tensor& loss_sum)>;
StepFaultHook step_fault_hook(const std::optional<FaultSpec>& fault, const std::string& job_id,
                              int rank);

// The checkpoint-write hook for one job on world rank `rank`, called with (step, checkpoint path)
// before each checkpoint write (null when the fault does not apply there).
std::function<void(int64_t, const std::string&)> checkpoint_fault_hook(
    const std::optional<FaultSpec>& fault, const std::string& job_id, int rank);

// Throws when `fault` names `stage` on world rank `rank`.
void inject_stage_fault(const std::optional<FaultSpec>& fault, const std::string& stage, int rank);

}  // namespace bertgrid::grid
