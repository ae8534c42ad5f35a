#include "grid/run_dir.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/error.h"
#include "core/atomic_file.h"
#include "core/sha256.h"

namespace bertgrid::grid {
namespace fs = std::filesystem;

std::string config_hash(const RunConfig& cfg) {
  return sha256_hex(cfg.text);
}

void prepare_run_dir(const std::string& dir, const RunConfig& cfg, bool resume, bool force) {
  const std::string saved = dir + "/config.toml";
  if (fs::exists(saved)) {
    if (resume) {
      std::ifstream in(saved, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      const std::string before = sha256_hex(text.str()), now = config_hash(cfg);
      if (before != now)
        throw Error("--resume: " + dir + " was run with a different config (" + saved +
                    " has sha256 " + before.substr(0, 12) + ", " + cfg.source + " has " +
                    now.substr(0, 12) + "); use a new --out, or --force to start over");
      return;
    }
    if (!force)
      throw Error(dir +
                  " already holds a run: use --resume to continue it or --force to replace it");
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().filename() != "embeddings.h5") fs::remove_all(entry.path());
  } else if (fs::exists(dir) && !fs::is_empty(dir) && !force) {
    throw Error(dir + " exists and is not a bertgrid run: choose another --out, or --force");
  }
  fs::create_directories(dir);
  write_file_atomic(saved, cfg.text);
}

nlohmann::json to_json(const JobResult& r) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& h : r.history)
    history.push_back({h.kind, h.step, h.epoch, h.loss, h.lr, h.grad_norm});
  return {{"record", to_json(r.record)}, {"history", history}, {"placement", r.placement}};
}

JobResult job_result_from_json(const nlohmann::json& j) {
  JobResult r;
  r.record = job_record_from_json(j.at("record"));
  for (const auto& h : j.at("history"))
    r.history.push_back({h[0].get<std::string>(), h[1].get<int64_t>(), h[2].get<double>(),
                         h[3].get<double>(), h[4].get<double>(), h[5].get<double>()});
  r.placement = j.at("placement");
  return r;
}

std::optional<JobResult> load_finished_job(const std::string& run_dir, const std::string& job_id) {
  const std::string dir = run_dir + "/jobs/" + job_id;
  std::ifstream in(dir + "/record.json");
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "ok") return std::nullopt;
  JobResult r;
  r.record = job_record_from_json(j);
  std::ifstream hist(dir + "/history.csv");
  std::string line;
  std::getline(hist, line);  // header
  while (std::getline(hist, line)) {
    std::istringstream cells(line);
    train::HistoryEntry h;
    std::string cell;
    std::getline(cells, h.kind, ',');
    std::getline(cells, cell, ',');
    h.step = std::stoll(cell);
    for (double* v : {&h.epoch, &h.loss, &h.lr, &h.grad_norm}) {
      std::getline(cells, cell, ',');
      *v = std::stod(cell);
    }
    r.history.push_back(h);
  }
  r.placement = {{"from_earlier_run", true}};
  return r;
}

void write_results(const std::string& dir, const std::vector<JobResult>& results,
                   const nlohmann::json& manifest) {
  std::vector<JobRecord> records;
  nlohmann::json jobs = nlohmann::json::array();
  std::ostringstream history;
  history.precision(9);
  history << "job_id,kind,step,epoch,loss,lr,grad_norm\n";
  for (const auto& r : results) {
    records.push_back(r.record);
    jobs.push_back(to_json(r.record));
    for (const auto& h : r.history)
      history << r.record.job_id << ',' << h.kind << ',' << h.step << ',' << h.epoch << ','
              << h.loss << ',' << h.lr << ',' << h.grad_norm << '\n';
  }
  write_file_atomic(dir + "/results.csv", job_records_csv(records));
  write_file_atomic(dir + "/results.json", nlohmann::json{{"jobs", jobs}}.dump(1) + "\n");
  write_file_atomic(dir + "/history.csv", history.str());
  write_file_atomic(dir + "/manifest.json", manifest.dump(1) + "\n");
}

std::string results_tables(const std::vector<JobResult>& results) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(4);
  auto row = [&](const std::string& label, const JobRecord& r) {
    out << std::left << std::setw(50) << label << std::right;
    if (r.status != "ok") {
      out << "  " << r.status << (r.error.empty() ? "" : ": " + r.error) << "\n";
      return;
    }
    for (double v :
         {r.eval_train_loss, r.eval_loss, r.eval_accHate, r.eval_accNoHate, r.eval_accAll})
      out << std::setw(16) << v;
    out << "\n";
  };
  const char* header =
      "   eval_train_loss       eval_loss    eval_accHate  eval_accNoHate     eval_accAll\n";
  for (const char* kind : {"finetune", "head"}) {
    bool any = false;
    for (const auto& r : results) any |= r.record.kind == kind;
    if (!any) continue;
    out << (std::string(kind) == "finetune" ? "Fine-tuning, by epochs\n"
                                            : "Sentence embeddings + head, by strategy\n");
    out << std::left << std::setw(50) << "job" << header;
    for (const auto& r : results)
      if (r.record.kind == kind) row(r.record.job_id, r.record);
    out << "\n";
  }
  return out.str();
}

}  // namespace bertgrid::grid
