#include "grid/resume_scan.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "train/history_csv.h"

namespace bertgrid::grid {
namespace {

// The whole file, or nullopt when it does not exist or cannot be read.
std::optional<std::string> file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One job's earlier result, nullopt when it did not finish; damage goes into `warning`.
std::optional<JobResult> load_finished_job(const std::string& job_dir, std::string& warning) {
  const std::string record_path = job_dir + "/record.json";
  const auto record_text = file_text(record_path);
  if (!record_text) return std::nullopt;  // never finished
  const auto j = nlohmann::json::parse(*record_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    warning = record_path + ": not a complete JSON record (truncated?)";
    return std::nullopt;
  }
  JobResult r;
  try {
    if (j.value("status", "") != to_string(JobStatus::kOk))
      return std::nullopt;  // failed or stopped: runs again
    r.record = job_record_from_json(j);
  } catch (const std::exception& e) {
    warning = record_path + ": " + e.what();
    return std::nullopt;
  }
  const std::string history_path = job_dir + "/history.csv";
  const auto history_text = file_text(history_path);
  if (!history_text) {
    warning = history_path + ": missing";
    return std::nullopt;
  }
  try {
    r.history = train::parse_job_history_csv(*history_text, history_path);
  } catch (const Error& e) {
    warning = e.what();
    return std::nullopt;
  }
  r.placement = {{"from_earlier_run", true}};
  return r;
}

}  // namespace

ResumeState nothing_finished(size_t n_jobs) {
  ResumeState state;
  state.finished.assign(n_jobs, false);
  return state;
}

ResumeState scan_finished_jobs(const std::string& run_dir, const std::vector<jobs::JobSpec>& jobs) {
  ResumeState state = nothing_finished(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::string warning;
    auto r = load_finished_job(run_dir + "/jobs/" + jobs[i].job_id, warning);
    if (r) {
      state.finished[i] = true;
      state.earlier.push_back(std::move(*r));
    } else if (!warning.empty()) {
      state.warnings.push_back(warning + "; " + jobs[i].job_id + " runs again");
    }
  }
  return state;
}

std::string finished_mask(const ResumeState& state) {
  std::string mask;
  for (bool f : state.finished) mask += f ? '1' : '0';
  return mask;
}

void set_finished_mask(ResumeState& state, const std::string& mask) {
  state.finished.assign(mask.size(), false);
  for (size_t i = 0; i < mask.size(); ++i) state.finished[i] = mask[i] == '1';
}

}  // namespace bertgrid::grid
