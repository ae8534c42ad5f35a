// bertgrid merge: the shards of a grid (bertgrid run --shard K/N, e.g. one Slurm array task
// each) into one run directory's results, identical to those of a single run of the grid.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "grid/merge.h"

namespace bertgrid::cli {
namespace {

const char* kUsage =
    "Usage: bertgrid merge --out DIR\n"
    "\n"
    "Merges DIR/shard-0-of-N ... DIR/shard-(N-1)-of-N (each written by `bertgrid run --shard\n"
    "K/N --out DIR` with the same config) into DIR/results.csv, results.json, history.csv and\n"
    "manifest.json, in the grid's order, as a single run of the grid writes them; DIR/jobs/<id>\n"
    "links to each job's folder in its shard. Jobs a shard has not finished are listed as\n"
    "pending. Prints the notebook's two tables.\n"
    "\n"
    "Exit status: 0 every job ok; 1 an error, or a job not ok (failed, stopped or pending).\n\n";

}  // namespace

int cmd_merge(int argc, char** argv, int first) {
  Args args("merge", {{"out", true, "the run directory holding the shard-K-of-N folders", "DIR"}},
            argc, argv, first);
  if (args.help()) {
    std::cout << kUsage << args.options_help();
    return 0;
  }
  const std::string dir = args.require("out");
  const auto summary = grid::merge_shards(dir);
  std::cout << summary.tables << std::flush;
  std::cerr << "bertgrid merge: " << summary.shards << " shards, " << summary.jobs << " jobs, "
            << summary.not_ok << " not ok; results in " << dir << std::endl;
  return summary.not_ok > 0 ? 1 : 0;
}

}  // namespace bertgrid::cli
