// The resume scan (`bertgrid run --resume`): which jobs an earlier run of the directory finished.
// A job counts as finished when jobs/<id>/record.json is a complete record with status ok and its
// history.csv reads back. A job whose files are damaged (a truncated record.json, a record that
// lacks a key, an unreadable history row, a missing history.csv) runs again, with a warning that
// names the file (and the line, for history.csv). Nothing here throws on damaged job files.
#pragma once

#include <string>
#include <vector>

#include "grid/results.h"
#include "jobs/job.h"

namespace bertgrid::grid {

struct ResumeState {
  std::vector<bool> finished;         // per job of the grid (this shard)
  std::vector<JobResult> earlier;     // the finished jobs' results
  std::vector<std::string> warnings;  // damaged job files, each naming its file
};

// Rank 0 only: the run directory's finished jobs among `jobs`.
ResumeState scan_finished_jobs(const std::string& run_dir, const std::vector<jobs::JobSpec>& jobs);

// The state of a fresh run: nothing finished.
ResumeState nothing_finished(size_t n_jobs);

// The finished mask as one character per job ('1' finished), and back (for the broadcast).
std::string finished_mask(const ResumeState& state);
void set_finished_mask(ResumeState& state, const std::string& mask);

}  // namespace bertgrid::grid
