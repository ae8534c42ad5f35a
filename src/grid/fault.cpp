#include "grid/fault.h"

#include <limits>
#include <sstream>

#include "core/error.h"

namespace bertgrid::grid {
namespace {

FaultKind fault_kind(const std::string& text, const std::string& spec) {
  if (text == "throw") return FaultKind::kThrow;
  if (text == "nan") return FaultKind::kNan;
  if (text == "stage") return FaultKind::kStage;
  throw Error("--fault: kind must be throw, nan or stage, in '" + spec + "'");
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
      else
        throw Error("--fault: unknown field '" + key + "' in '" + spec + "'");
    } catch (const std::logic_error&) {
      throw Error("--fault: " + key + " '" + value + "' is not a number, in '" + spec + "'");
    }
  }
  return f;
}

std::function<void(int64_t, torch::Tensor&)> step_fault_hook(const std::optional<FaultSpec>& fault,
                                                             const std::string& job_id, int rank) {
  if (!fault || fault->kind == FaultKind::kStage || !applies_on(*fault, rank) ||
      job_id.find(fault->job) == std::string::npos)
    return nullptr;
  const FaultSpec f = *fault;
  return [f, job_id, rank](int64_t step, torch::Tensor& loss) {
    if (step != f.step) return;
    if (f.kind == FaultKind::kThrow)
      throw Error("injected failure on rank " + std::to_string(rank) + " in " + job_id);
    loss = loss * std::numeric_limits<float>::quiet_NaN();
  };
}

void inject_stage_fault(const std::optional<FaultSpec>& fault, const std::string& stage, int rank) {
  if (fault && fault->kind == FaultKind::kStage && fault->stage == stage &&
      applies_on(*fault, rank))
    throw Error("injected failure on rank " + std::to_string(rank));
}

}  // namespace bertgrid::grid
