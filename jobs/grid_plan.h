// The grid: every job a config asks for (the Cartesian product of its lists, for fine-tuning and
// for each embedding strategy's head), and their assignment to rank groups, longest first, the
// same on every rank.
#pragma once

#include <vector>

#include "core/config.h"
#include "job.h"

namespace bertgrid::jobs {

std::vector<JobSpec> expand_grid(const RunConfig& cfg);

// Relative cost of a job, for scheduling: fine-tunes cost their epochs; a head on precomputed
// embeddings costs a small fraction of an encoder epoch.
double job_cost(const JobSpec& spec);

// group_of[i] for jobs[i]: longest processing time first, each job to the least-loaded group
// (ties to the lowest group index; equal costs keep the grid's order).
std::vector<int> assign_groups(const std::vector<JobSpec>& jobs, int n_groups);

}  // namespace bertgrid::jobs
