#include "grid/results.h"

#include <iomanip>
#include <sstream>

#include "core/atomic_file.h"
#include "train/history_csv.h"

namespace bertgrid::grid {

nlohmann::json to_json(const JobResult& r) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& h : r.history)
    history.push_back({to_string(h.kind), h.step, h.epoch, h.loss, h.lr, h.grad_norm});
  return {{"record", to_json(r.record)},
          {"history", history},
          {"placement", r.placement},
          {"warnings", r.warnings}};
}

JobResult job_result_from_json(const nlohmann::json& j) {
  JobResult r;
  r.record = job_record_from_json(j.at("record"));
  for (const auto& h : j.at("history"))
    r.history.push_back({choice_from_string<HistoryKind>(h[0].get<std::string>()),
                         h[1].get<int64_t>(), h[2].get<double>(), h[3].get<double>(),
                         h[4].get<double>(), h[5].get<double>()});
  r.placement = j.at("placement");
  r.warnings = j.value("warnings", std::vector<std::string>{});
  return r;
}

// Pending records name the job and its place in the grid only: nothing has run.
JobResult pending_result(const jobs::JobSpec& spec) {
  JobResult r;
  r.record.job_id = spec.job_id;
  r.record.kind = spec.kind;
  r.record.strategy = spec.strategy;
  r.record.epochs = spec.epochs;
  r.record.status = JobStatus::kPending;
  return r;
}

void write_results(const std::string& dir, const std::vector<JobResult>& results) {
  std::vector<JobRecord> records;
  std::vector<train::JobHistory> history;
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& r : results) {
    records.push_back(r.record);
    jobs.push_back(to_json(r.record));
    history.push_back({r.record.job_id, r.history});
  }
  write_file_atomic(dir + "/results.csv", job_records_csv(records));
  write_file_atomic(dir + "/results.json", nlohmann::json{{"jobs", jobs}}.dump(1) + "\n");
  write_file_atomic(dir + "/history.csv", train::run_history_csv(history));
}

void write_manifest(const std::string& dir, const nlohmann::json& manifest) {
  write_file_atomic(dir + "/manifest.json", manifest.dump(1) + "\n");
}

StatusCounts count_statuses(const std::vector<JobResult>& results) {
  StatusCounts counts;
  for (const auto& r : results) {
    if (r.record.status == JobStatus::kOk)
      ++counts.ok;
    else if (r.record.status == JobStatus::kFailed)
      ++counts.failed;
    else
      ++counts.pending;
  }
  return counts;
}

std::string counts_text(const StatusCounts& c) {
  return std::to_string(c.jobs()) + " jobs: " + std::to_string(c.ok) + " ok, " +
         std::to_string(c.failed) + " failed, " + std::to_string(c.pending) + " pending";
}

std::string results_tables(const std::vector<JobResult>& results) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(4);
  auto row = [&](const std::string& label, const JobRecord& r) {
    out << std::left << std::setw(50) << label << std::right;
    if (r.status != JobStatus::kOk) {
      out << "  " << to_string(r.status) << (r.error.empty() ? "" : ": " + r.error) << "\n";
      return;
    }
    for (double v :
         {r.eval_train_loss, r.eval_loss, r.eval_accHate, r.eval_accNoHate, r.eval_accAll})
      out << std::setw(16) << v;
    out << "\n";
  };
  const char* header =
      "   eval_train_loss       eval_loss    eval_accHate  eval_accNoHate     eval_accAll\n";
  for (const JobKind kind : {JobKind::kFinetune, JobKind::kHead}) {
    bool any = false;
    for (const auto& r : results) any |= r.record.kind == kind;
    if (!any) continue;
    out << (kind == JobKind::kFinetune ? "Fine-tuning, by epochs\n"
                                       : "Sentence embeddings + head, by strategy\n");
    out << std::left << std::setw(50) << "job" << header;
    for (const auto& r : results)
      if (r.record.kind == kind) row(r.record.job_id, r.record);
    out << "\n";
  }
  return out.str();
}

}  // namespace bertgrid::grid
