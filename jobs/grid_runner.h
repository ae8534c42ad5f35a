// Running a whole grid on the MPI world: run directory, data, embedding stage, the groups' jobs
// (with agreed failures, stop requests and a stall watchdog), and rank 0's results.
#pragma once

#include <optional>
#include <string>

#include "core/config.h"
#include "dist/world.h"

namespace bertgrid::jobs {

// A failure injected for tests: "throw:rank=1:job=finetune:step=3" (or "nan:..."): on world
// rank R, in jobs whose id contains SUBSTR, at step S.
struct FaultSpec {
  std::string kind;  // "throw" or "nan"
  int rank = -1;     // -1: every rank
  std::string job;
  int64_t step = 0;
};
FaultSpec parse_fault(const std::string& spec);

struct GridOptions {
  RunConfig config;
  std::string run_dir;
  std::string data_dir;
  bool resume = false, force = false;
  std::optional<FaultSpec> fault;
  double mpi_init_seconds = 0;  // MPI start-up before run_grid, reported apart in the manifest
};

// Collective over `world`; returns the process exit status (0 ok, 1 failed jobs, 3 stopped).
int run_grid(const GridOptions& options, const dist::World& world);

}  // namespace bertgrid::jobs
