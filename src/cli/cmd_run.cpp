// bertgrid run: the whole grid of a config under MPI. Ranks split into groups of ranks_per_job;
// the embedding stage runs once over all ranks; each group trains its share of the jobs
// data-parallel; rank 0 gathers every job's record and writes the run's results.
#include <chrono>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "dist/world.h"
#include "grid/runner.h"

namespace bertgrid::cli {
namespace {

const char* kUsage =
    "Usage: mpirun -np N bertgrid run --config FILE.toml [--out DIR] [--data DIR]\n"
    "                                 [--resume | --force] [--shard K/N | --embeddings-only]\n"
    "\n"
    "Runs the config's whole grid: fine-tunes and embedding heads for every combination of its\n"
    "lists. Ranks form groups of run.ranks_per_job that each train one job at a time,\n"
    "data-parallel; the frozen-encoder embeddings are computed once, by all ranks, into\n"
    "DIR/embeddings.h5 (reused while their fingerprint holds). Rank 0 writes DIR/results.csv,\n"
    "results.json, history.csv and manifest.json, with each job's outputs under DIR/jobs/.\n"
    "\n"
    "DIR defaults to runs/<config name>; an existing run is continued with --resume (finished\n"
    "jobs are kept, unfinished ones resume from their checkpoints) or replaced with --force.\n"
    "The dataset folder is --data, else $BERTGRID_DATA, else the config's data.dir.\n"
    "SIGTERM or SIGUSR1 stops every job at its next step boundary with a checkpoint.\n"
    "\n"
    "Job arrays: --shard K/N runs jobs K, K+N, K+2N, ... of the grid's order in\n"
    "DIR/shard-K-of-N (starting from DIR/embeddings.h5 when there is one, e.g. from an earlier\n"
    "--embeddings-only run); `bertgrid merge --out DIR` then writes the whole grid's results to "
    "DIR.\n"
    "\n"
    "Exit status: 0 every job ok; 1 an error or a failed job; 2 usage; 3 stopped on request\n"
    "(resumable); 4 stall watchdog.\n\n";

}  // namespace

int cmd_run(int argc, char** argv, int first) {
  Args args(
      "run",
      {{"config", true, "run config (TOML)", "FILE"},
       {"out", true, "run directory (default runs/<config name>)", "DIR"},
       {"data", true, "dataset folder (else $BERTGRID_DATA, else data.dir)", "DIR"},
       {"resume", false, "continue the run in DIR (same config)"},
       {"force", false, "replace the run in DIR"},
       {"shard", true, "run jobs K, K+N, ... of the grid, in DIR/shard-K-of-N", "K/N"},
       {"embeddings-only", false, "run the embedding stage alone, for later runs to reuse"},
       {"fault", true, "inject a failure (tests): throw|nan:rank=R:job=SUBSTR:step=S", "SPEC"}},
      argc, argv, first);
  if (args.help()) {
    std::cout << kUsage << args.options_help();
    return 0;
  }
  if (args.has("resume") && args.has("force"))
    throw Error("bertgrid run: --resume and --force exclude each other");
  const auto mpi_start = std::chrono::steady_clock::now();
  dist::World world(&argc, &argv);
  const double mpi_init_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - mpi_start).count();
  const bool root = world.rank() == 0;
  try {
    grid::GridOptions options;
    options.config = load_run_config(args.require("config"));
    options.run_dir = args.get_or("out", "runs/" + options.config.name);
    options.data_dir = resolve_data_dir(args, options.config);
    options.resume = args.has("resume");
    options.force = args.has("force");
    options.mpi_init_seconds = mpi_init_seconds;
    if (auto f = args.get("fault")) options.fault = grid::parse_fault(*f);
    options.embeddings_only = args.has("embeddings-only");
    if (options.embeddings_only && !options.config.embeddings.enabled)
      throw Error("--embeddings-only: " + options.config.source +
                  " has no embedding jobs ([embeddings] enabled = false)");
    if (auto shard = args.get("shard")) {
      if (options.embeddings_only)
        throw Error("bertgrid run: --shard and --embeddings-only exclude each other");
      options.shard = grid::parse_shard(*shard);
      options.shared_embeddings = options.run_dir + "/embeddings.h5";
      options.run_dir += "/" + grid::shard_dir_name(options.shard);
    }
    return grid::run_grid(options, world);
  } catch (const std::exception& e) {
    // Errors here were agreed by every rank (all_or_none) or are the same on each (config).
    if (root) std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace bertgrid::cli
