// A run's results as rank 0 writes them at the end: results.csv and results.json (one job record
// each), history.csv (every job's step history), manifest.json; and the notebook's two tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/job_record.h"
#include "jobs/job.h"
#include "train/trainer.h"

namespace bertgrid::grid {

// One finished (or failed) job as the run reports it.
struct JobResult {
  JobRecord record;
  std::vector<train::HistoryEntry> history;
  nlohmann::json placement;  // group, ranks, host, examples per rank, seconds, resumed_from_step
  std::vector<std::string> warnings;  // the job's recoveries (for the manifest)
};
nlohmann::json to_json(const JobResult& r);
JobResult job_result_from_json(const nlohmann::json& j);

// A job of the grid that no run has finished.
JobResult pending_result(const jobs::JobSpec& spec);

// results.csv, results.json and history.csv, each atomically.
void write_results(const std::string& dir, const std::vector<JobResult>& results);
void write_manifest(const std::string& dir, const nlohmann::json& manifest);

// How many of a run's jobs are ok, failed, or pending (not run, not finished, or stopped).
struct StatusCounts {
  int64_t ok = 0, failed = 0, pending = 0;
  int64_t jobs() const { return ok + failed + pending; }
  int64_t not_ok() const { return failed + pending; }
};
StatusCounts count_statuses(const std::vector<JobResult>& results);
// "8 jobs: 6 ok, 1 failed, 1 pending", for the final lines of `run` and `merge`.
std::string counts_text(const StatusCounts& counts);

// The notebook's two tables (fine-tune by epochs; embeddings by strategy), as text.
std::string results_tables(const std::vector<JobResult>& results);

}  // namespace bertgrid::grid
