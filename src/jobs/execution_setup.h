// The Execution (device, precision, speed switches) of a run's [run] section, for one process:
// which GPU it takes (if any), and its CUDA context created up front so that the run's clock
// does not count it.
#pragma once

#include <string>

#include "core/config.h"
#include "train/execution.h"

namespace bertgrid::jobs {

// For the process with node-local index `local_rank` of `local_size` on `host`: run.device
// "cpu", "cuda" (an error without a usable GPU) or "auto" (a GPU when libtorch sees one; GPU
// local_rank mod the node's GPUs). Ranks sharing a GPU must be in groups of one (NCCL refuses two
// ranks of a communicator on one GPU): an error names the host otherwise. `seconds` (if given)
// gets the time taken, CUDA context creation included.
train::Execution make_execution(const RunConfig& cfg, int local_rank, int local_size,
                                const std::string& host, double* seconds = nullptr);

}  // namespace bertgrid::jobs
