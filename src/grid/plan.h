// The grid: every job a config asks for (the Cartesian product of its lists, for fine-tuning and
// for each embedding strategy's head), and their assignment to rank groups, longest first, the
// same on every rank. A shard (job arrays) is every N-th job of the grid.
#pragma once

#include <string>

#include <vector>

#include "core/config.h"
#include "jobs/job.h"

namespace bertgrid::grid {

std::vector<jobs::JobSpec> expand_grid(const RunConfig& cfg);

// Relative cost of a job, for scheduling: fine-tunes cost their epochs; a head on precomputed
// embeddings costs a small fraction of an encoder epoch.
double job_cost(const jobs::JobSpec& spec);

// group_of[i] for jobs[i]: longest processing time first, each job to the least-loaded group
// (ties to the lowest group index; equal costs keep the grid's order).
std::vector<int> assign_groups(const std::vector<jobs::JobSpec>& jobs, int n_groups);

// Shard K of N: jobs K, K+N, K+2N, ... of the grid's order, run in DIR/shard-K-of-N (the
// sub-folder `bertgrid merge DIR` collects). The whole grid is shard 0 of 1.
struct Shard {
  int index = 0, count = 1;
};
Shard parse_shard(const std::string& text);      // "K/N", 0 <= K < N
std::string shard_dir_name(const Shard& shard);  // "shard-K-of-N"
std::vector<jobs::JobSpec> shard_jobs(const std::vector<jobs::JobSpec>& jobs, const Shard& shard);

}  // namespace bertgrid::grid
