// Merging the shards of a grid (`bertgrid run --shard K/N`, one Slurm array task each) into one
// run directory: DIR/shard-0-of-N ... DIR/shard-(N-1)-of-N, all run with the same config, become
// DIR/results.csv, results.json, history.csv and manifest.json in the whole grid's order (the
// files a single run of the grid writes), with DIR/jobs/<id> linking to each job's shard folder.
#pragma once

#include <cstdint>
#include <string>

#include "grid/results.h"

namespace bertgrid::grid {

struct MergeSummary {
  int shards = 0;
  StatusCounts counts;  // every job of the grid; missing or stopped ones are pending
  std::string tables;   // the notebook's two tables of the merged results
};

// Holds DIR's lock while it merges (see run_lock.h). Throws bertgrid::Error naming the holder of a
// live lock, or the folder or file at fault: no shards, a missing shard, shards of different
// sizes or configs, a shard without results, a config.toml in DIR that differs.
MergeSummary merge_shards(const std::string& dir);

}  // namespace bertgrid::grid
