// Running a whole grid on the MPI world, as a sequence of stages (grid/stage.h): start-up, run
// directory, data, resume state, embedding stage, this group's jobs (with agreed failures, stop
// requests and a stall watchdog), gather and outputs (rank 0's results and manifest).
#pragma once

#include <optional>
#include <string>

#include "core/config.h"
#include "dist/world.h"
#include "grid/fault.h"
#include "grid/plan.h"

namespace bertgrid::grid {

struct GridOptions {
  RunConfig config;
  std::string run_dir;
  std::string data_dir;
  bool resume = false, force = false;
  std::optional<FaultSpec> fault;
  double mpi_init_seconds = 0;    // MPI start-up before run_grid, reported apart in the manifest
  Shard shard;                    // run only this shard's jobs (run_dir is then the shard's own)
  std::string shared_embeddings;  // an embeddings.h5 to start from when run_dir has none
  bool embeddings_only = false;   // the embedding stage alone, for a later run to reuse
  std::string embeddings;  // `--embeddings FILE`: used as the stage's file if fingerprints match
};

// Collective over `world`; returns the process exit status (0 ok, 1 failed jobs, 3 stopped).
// With embeddings_only, returns after the embedding stage without writing results.
int run_grid(const GridOptions& options, const dist::World& world);

}  // namespace bertgrid::grid
