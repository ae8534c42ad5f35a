// The run directory: its creation rules (an existing run is continued only with --resume and an
// unchanged config, replaced only with --force), the saved config, and the results files that
// rank 0 writes at the end (results.csv, results.json, history.csv, manifest.json), atomically.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/job_record.h"
#include "train/trainer.h"

namespace bertgrid::grid {

std::string config_hash(const RunConfig& cfg);  // SHA-256 of the config file's bytes

// Rank 0 only. Creates `dir` (or checks it for --resume; clears it for --force, keeping a
// fingerprinted embeddings.h5 that later runs may reuse) and saves the config as config.toml.
void prepare_run_dir(const std::string& dir, const RunConfig& cfg, bool resume, bool force);

// One finished (or failed) job as the run reports it.
struct JobResult {
  JobRecord record;
  std::vector<train::HistoryEntry> history;
  nlohmann::json placement;  // group, ranks, host, examples per rank, seconds, resumed_from_step
};
nlohmann::json to_json(const JobResult& r);
JobResult job_result_from_json(const nlohmann::json& j);

// A job finished by an earlier run (jobs/<id>/record.json with status ok), or nullopt.
std::optional<JobResult> load_finished_job(const std::string& run_dir, const std::string& job_id);

void write_results(const std::string& dir, const std::vector<JobResult>& results,
                   const nlohmann::json& manifest);

// The notebook's two tables (fine-tune by epochs; embeddings by strategy), as text.
std::string results_tables(const std::vector<JobResult>& results);

}  // namespace bertgrid::grid
