// history.csv, both forms, written and read in one place: a job's own file (jobs/<id>/history.csv:
// kind,step,epoch,loss,lr,grad_norm) and the run's (history.csv: job_id first, then the same
// columns). Numbers are written with 9 significant digits; a row that does not read back is an
// error naming the file and line.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "train/trainer.h"

namespace bertgrid::train {

// One job's history as the run-level file lists it.
struct JobHistory {
  std::string job_id;
  std::vector<HistoryEntry> entries;
};

std::string job_history_csv(const std::vector<HistoryEntry>& history);
std::string run_history_csv(const std::vector<JobHistory>& jobs);

// Parses the text of a file at `path` (named in errors as path:line). The header must be the one
// the writer writes; empty lines are skipped.
std::vector<HistoryEntry> parse_job_history_csv(const std::string& text, const std::string& path);
// The run-level file's rows by job id.
std::map<std::string, std::vector<HistoryEntry>> parse_run_history_csv(const std::string& text,
                                                                       const std::string& path);

}  // namespace bertgrid::train
