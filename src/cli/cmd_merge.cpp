// bertgrid merge: the shards of a grid (bertgrid run --shard K/N, e.g. one Slurm array task
// each) into one run directory's results, identical to those of a single run of the grid.
#include <iostream>
#include <memory>

#include "cli/command.h"
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
    "Exit status: 0 every job ok; 1 an error, or a job not ok (failed, or pending: not run or "
    "stopped);\n"
    "2 usage.\n\n";

struct MergeOptions {
  std::string out;
};

int run_merge(const MergeOptions& o) {
  const auto summary = grid::merge_shards(o.out);
  std::cout << summary.tables << std::flush;
  std::cerr << "bertgrid merge: " << summary.shards << " shards, "
            << grid::counts_text(summary.counts) << "; results in " << o.out << std::endl;
  return summary.counts.not_ok() > 0 ? 1 : 0;
}

}  // namespace

Command setup_merge(CLI::App& parent) {
  auto o = std::make_shared<MergeOptions>();
  CLI::App* app =
      add_command(parent, "merge",
                  "merge the shards of a grid (run --shard K/N) into one run's results", kUsage);
  app->add_option("--out", o->out, "the run directory holding the shard-K-of-N folders")
      ->type_name("DIR")
      ->required();
  return {app, [o] { return run_merge(*o); }};
}

}  // namespace bertgrid::cli
