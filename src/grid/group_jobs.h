// The stage "this group's jobs": each group of ranks runs its share of the grid, longest first as
// scheduled, one job at a time. A job that fails inside a step fails alone (the group agreed on it
// in the step's status all-reduce); its record names the cause from the rank(s) where it happened.
// A failure outside a step in a group of several ranks ends the run (peers may be inside a
// collective of that job). A stop request ends the loop after the job's checkpoint.
#pragma once

#include <string>
#include <vector>

#include "dist/world.h"
#include "grid/results.h"
#include "grid/runner.h"
#include "grid/watchdog.h"
#include "io/embeddings_h5.h"
#include "jobs/data.h"
#include "jobs/job.h"
#include "train/execution.h"

namespace bertgrid::grid {

// What the job loop reads.
struct JobLoopInputs {
  const GridOptions& options;
  const std::vector<jobs::JobSpec>& jobs;
  const std::vector<int>& group_of;   // each job's group
  const std::vector<bool>& finished;  // jobs an earlier run finished (skipped)
  const jobs::PreparedData& data;
  const io::EmbeddingsFile& embeddings;  // head jobs' inputs (empty without head jobs)
  const train::Execution& exec;
  const jobs::JobContext& context;  // the process's: threads set, progress lines on rank 0
};

struct GroupJobs {
  std::vector<JobResult> results;  // on the group's first rank: each job it ran (none stopped)
  bool stopped = false;            // a stop request ended the loop
  double done_cost = 0;            // the finished jobs' cost (progress)
};

// Collective over `group`. Beats the watchdog at each job and step.
GroupJobs run_group_jobs(const JobLoopInputs& in, const dist::World& world,
                         const dist::Group& group, Watchdog& watchdog);

// The error of a failed job as its record keeps it, from each group rank's local cause ("" where
// the failure was not its own): in a group of one, the cause itself; else "rank R: cause" for
// each world rank R that failed, joined by "; ".
std::string failure_causes(const std::vector<std::string>& local_causes, int first_world_rank);

}  // namespace bertgrid::grid
