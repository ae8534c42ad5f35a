#include "grid/fault.h"

#include <csignal>
#include <limits>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace bertgrid::grid {
namespace {

FaultKind fault_kind(const std::string& text, const std::string& spec) {
  if (text == "throw") return FaultKind::kThrow;
  if (text == "nan") return FaultKind::kNan;
  if (text == "signal") return FaultKind::kSignal;
  if (text == "kill") return FaultKind::kKill;
  if (text == "stage") return FaultKind::kStage;
  throw Error("--fault: kind must be throw, nan, signal, kill or stage, in '" + spec + "'");
}

int signal_number(const std::string& name, const std::string& spec) {
  if (name == "TERM") return SIGTERM;
  if (name == "USR1") return SIGUSR1;
  throw Error("--fault: sig must be TERM or USR1, in '" + spec + "'");
}

// Whether `f` acts inside the jobs whose id holds f.job on world rank `rank`.
bool applies_to_job(const std::optional<FaultSpec>& f, FaultKind kind, const std::string& job_id,
                    int rank) {
  return f && f->kind == kind && (f->rank < 0 || f->rank == rank) &&
         job_id.find(f->job) != std::string::npos;
}

bool applies_on(const FaultSpec& f, int rank) {
  return f.rank < 0 || f.rank == rank;
}

}  // namespace

FaultSpec parse_fault(const std::string& spec) {
  FaultSpec f;
  std::istringstream parts(spec);
  std::string item;
  std::getline(parts, item, ':');
  f.kind = fault_kind(item, spec);
  if (f.kind == FaultKind::kStage && !std::getline(parts, f.stage, ':'))
    throw Error("--fault: stage:NAME needs the stage's name, in '" + spec + "'");
  while (std::getline(parts, item, ':')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    try {
      if (key == "rank")
        f.rank = std::stoi(value);
      else if (key == "job" && f.kind != FaultKind::kStage)
        f.job = value;
      else if (key == "step" && f.kind != FaultKind::kStage)
        f.step = std::stoll(value);
      else if (key == "sig" && f.kind == FaultKind::kSignal)
        f.signal = signal_number(value, spec);
      else
        throw Error("--fault: unknown field '" + key + "' in '" + spec + "'");
    } catch (const std::logic_error&) {
      throw Error("--fault: " + key + " '" + value + "' is not a number, in '" + spec + "'");
    }
  }
  if (f.kind == FaultKind::kSignal && f.signal == 0)
    throw Error("--fault: signal needs sig=TERM or sig=USR1, in '" + spec + "'");
  return f;
}

StepFaultHook step_fault_hook(const std::optional<FaultSpec>& fault, const std::string& job_id,
                              int rank) {
  const bool acts = applies_to_job(fault, FaultKind::kThrow, job_id, rank) ||
                    applies_to_job(fault, FaultKind::kNan, job_id, rank) ||
                    applies_to_job(fault, FaultKind::kSignal, job_id, rank);
  if (!acts) return nullptr;
  const FaultSpec f = *fault;
  if (f.kind == FaultKind::kNan)  // on the device: NaN where the step is f.step
    return [f](int64_t, const torch::Tensor& device_step, torch::Tensor& loss) {
      loss = torch::where(device_step == f.step,
                          torch::full_like(loss, std::numeric_limits<float>::quiet_NaN()), loss);
    };
  return [f, job_id, rank](int64_t step, const torch::Tensor&, torch::Tensor&) {
    if (step != f.step) return;
    if (f.kind == FaultKind::kThrow)
      throw Error("injected failure on rank " + std::to_string(rank) + " in " + job_id);
    std::raise(f.signal);
  };
}

std::function<void(int64_t, const std::string&)> checkpoint_fault_hook(
    const std::optional<FaultSpec>& fault, const std::string& job_id, int rank) {
  if (!applies_to_job(fault, FaultKind::kKill, job_id, rank)) return nullptr;
  const int64_t after = fault->step;
  return [after](int64_t step, const std::string& path) {
    if (step < after) return;
    AtomicFile half(path);  // what a write cut short leaves: a temporary file, the target as it was
    half.write(std::string(4096, '\x5a'));
    std::raise(SIGKILL);
  };
}

void inject_stage_fault(const std::optional<FaultSpec>& fault, const std::string& stage, int rank) {
  if (fault && fault->kind == FaultKind::kStage && fault->stage == stage &&
      applies_on(*fault, rank))
    throw Error("injected failure on rank " + std::to_string(rank));
}

}  // namespace bertgrid::grid
