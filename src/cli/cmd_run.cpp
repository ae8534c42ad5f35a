// bertgrid run: the whole grid of a config under MPI. Ranks split into groups of ranks_per_job;
// the embedding stage runs once over all ranks; each group trains its share of the jobs
// data-parallel; rank 0 gathers every job's record and writes the run's results.
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/data_dir.h"
#include "core/error.h"
#include "dist/world.h"
#include "grid/runner.h"

namespace bertgrid::cli {
namespace {

const char* kUsage =
    "Usage: mpirun -np N bertgrid run --config FILE.toml [--out DIR] [--data DIR]\n"
    "                                 [--resume | --force] [--shard K/N | --embeddings-only]\n"
    "                                 [--embeddings FILE.h5]\n"
    "\n"
    "Runs the config's whole grid: fine-tunes and embedding heads for every combination of its\n"
    "lists. Ranks form groups of run.ranks_per_job that each train one job at a time,\n"
    "data-parallel; the frozen-encoder embeddings are computed once, by all ranks, into\n"
    "DIR/embeddings.h5 (reused while their fingerprint holds). Rank 0 writes DIR/results.csv,\n"
    "results.json, history.csv and manifest.json, with each job's outputs under DIR/jobs/.\n"
    "\n"
    "DIR defaults to runs/<config name>; an existing run is continued with --resume (finished\n"
    "jobs are kept, unfinished ones resume from their checkpoints; the config, data and weights\n"
    "must be the same) or replaced with --force, which removes only what bertgrid made there.\n"
    "One run at a time holds DIR/.bertgrid.lock; a second is refused, naming the holder.\n"
    "The dataset folder is --data, else $BERTGRID_DATA, else the config's data.dir.\n"
    "--embeddings FILE.h5 (from `bertgrid embed --config` with this config) replaces the\n"
    "embedding stage; it is refused, naming the difference, unless its fingerprint matches.\n"
    "SIGTERM or SIGUSR1 stops every job at its next step boundary with a checkpoint.\n"
    "\n"
    "Job arrays: --shard K/N runs jobs K, K+N, K+2N, ... of the grid's order in\n"
    "DIR/shard-K-of-N (starting from DIR/embeddings.h5 when there is one, e.g. from an earlier\n"
    "--embeddings-only run); `bertgrid merge --out DIR` then writes the whole grid's results to "
    "DIR.\n"
    "\n"
    "Exit status: 0 every job ok; 1 an error or a failed job; 2 usage; 3 stopped on request\n"
    "(resumable); 4 stall watchdog.\n\n";

struct RunOptions {
  std::string config, out, data, shard, fault, embeddings;
  bool resume = false, force = false, embeddings_only = false;
};

grid::GridOptions grid_options(const RunOptions& o, double mpi_init_seconds) {
  grid::GridOptions options;
  options.config = load_run_config(o.config);
  options.run_dir = o.out.empty() ? "runs/" + options.config.name : o.out;
  options.data_dir = resolve_data_dir(o.data, options.config);
  options.resume = o.resume;
  options.force = o.force;
  options.mpi_init_seconds = mpi_init_seconds;
  if (!o.fault.empty()) options.fault = grid::parse_fault(o.fault);
  options.embeddings_only = o.embeddings_only;
  options.embeddings = o.embeddings;
  if (options.embeddings_only && !options.config.embeddings.enabled)
    throw Error("--embeddings-only: " + options.config.source +
                " has no embedding jobs ([embeddings] enabled = false)");
  if (!o.shard.empty()) {
    options.shard = grid::parse_shard(o.shard);
    options.shared_embeddings = options.run_dir + "/embeddings.h5";
    options.run_dir += "/" + grid::shard_dir_name(options.shard);
  }
  return options;
}

int run_run(const RunOptions& o) {
  const auto mpi_start = std::chrono::steady_clock::now();
  dist::World world(nullptr, nullptr);
  const double mpi_init_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - mpi_start).count();
  try {
    return grid::run_grid(grid_options(o, mpi_init_seconds), world);
  } catch (const std::exception& e) {
    // Errors here were agreed by every rank (all_or_none) or are the same on each (config).
    if (world.rank() == 0) std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

Command setup_run(CLI::App& parent) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* app =
      add_command(parent, "run", "run a config's whole grid under MPI (the main job)", kUsage);
  app->add_option("--config", o->config, "run config (TOML)")->type_name("FILE")->required();
  app->add_option("--out", o->out, "run directory (default runs/<config name>)")->type_name("DIR");
  app->add_option("--data", o->data, "dataset folder (else $BERTGRID_DATA, else data.dir)")
      ->type_name("DIR");
  auto* resume = app->add_flag("--resume", o->resume, "continue the run in DIR (same config)");
  app->add_flag("--force", o->force, "replace the run in DIR")->excludes(resume);
  auto* shard =
      app->add_option("--shard", o->shard, "run jobs K, K+N, ... of the grid, in DIR/shard-K-of-N")
          ->type_name("K/N");
  app->add_flag("--embeddings-only", o->embeddings_only,
                "run the embedding stage alone, for later runs to reuse")
      ->excludes(shard);
  app->add_option("--embeddings", o->embeddings,
                  "an embeddings.h5 from `bertgrid embed` to use (fingerprint must match)")
      ->type_name("FILE");
  app->add_option("--fault", o->fault,
                  "inject a failure (tests): throw|nan[:rank=R][:job=SUBSTR][:step=S],\n"
                  "signal:sig=TERM|USR1[:rank=R][:job=SUBSTR][:step=S] (raised in step S),\n"
                  "kill[:rank=R][:job=SUBSTR][:step=S] (SIGKILL inside the first checkpoint\n"
                  "write after step S), or stage:NAME[:rank=R] (NAME a runner stage, e.g.\n"
                  "\"resume scan\")")
      ->type_name("SPEC");
  return {app, [o] { return run_run(*o); }};
}

}  // namespace bertgrid::cli
