#include "grid/merge.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "grid/plan.h"
#include "core/atomic_file.h"
#include "core/sha256.h"
#include "grid/run_dir.h"

namespace bertgrid::grid {
namespace fs = std::filesystem;
namespace {

std::string read_text(const std::string& path, const std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": missing (" + why + ")");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

nlohmann::json read_json(const std::string& path, const std::string& why) {
  auto j = nlohmann::json::parse(read_text(path, why), nullptr, false);
  if (j.is_discarded()) throw Error(path + ": not valid JSON");
  return j;
}

// history.csv (job_id,kind,step,epoch,loss,lr,grad_norm) by job id.
std::map<std::string, std::vector<train::HistoryEntry>> read_history(const std::string& path) {
  std::map<std::string, std::vector<train::HistoryEntry>> out;
  std::istringstream in(read_text(path, "the shard did not finish"));
  std::string line, id, cell;
  std::getline(in, line);  // header
  int64_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::istringstream cells(line);
    train::HistoryEntry h;
    try {
      std::getline(cells, id, ',');
      std::getline(cells, h.kind, ',');
      std::getline(cells, cell, ',');
      h.step = std::stoll(cell);
      for (double* v : {&h.epoch, &h.loss, &h.lr, &h.grad_norm}) {
        std::getline(cells, cell, ',');
        *v = std::stod(cell);
      }
    } catch (const std::logic_error&) {
      throw Error(path + ":" + std::to_string(line_no) + ": unreadable row '" + line + "'");
    }
    out[id].push_back(h);
  }
  return out;
}

struct ShardRun {
  std::string dir;
  std::string config_text;
  std::map<std::string, JobResult> results;
  nlohmann::json manifest;
};

ShardRun load_shard(const std::string& dir) {
  ShardRun s;
  s.dir = dir;
  s.config_text = read_text(dir + "/config.toml", "not a bertgrid run");
  const auto records = read_json(dir + "/results.json", "the shard did not finish");
  auto history = read_history(dir + "/history.csv");
  s.manifest = read_json(dir + "/manifest.json", "the shard did not finish");
  std::map<std::string, nlohmann::json> placement;
  for (const auto& j : s.manifest.value("jobs", nlohmann::json::array()))
    placement[j.value("job_id", "")] = j.value("placement", nlohmann::json::object());
  for (const auto& j : records.at("jobs")) {
    JobResult r;
    r.record = job_record_from_json(j);
    r.history = history[r.record.job_id];
    r.placement = placement[r.record.job_id];
    s.results[r.record.job_id] = r;
  }
  return s;
}

}  // namespace

MergeSummary merge_shards(const std::string& dir) {
  // The shard folders: exactly shard-0-of-N ... shard-(N-1)-of-N.
  const std::regex pattern("shard-([0-9]+)-of-([0-9]+)");
  std::map<int, std::string> found;
  int count = 0;
  if (!fs::is_directory(dir)) throw Error(dir + ": no such run directory");
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !std::regex_match(name, m, pattern)) continue;
    const int n = std::stoi(m[2].str());
    if (count != 0 && n != count)
      throw Error(dir + ": shards of different sizes (" + found.begin()->second + " and " + name +
                  ")");
    count = n;
    found[std::stoi(m[1].str())] = name;
  }
  if (count == 0) throw Error(dir + ": no shard-K-of-N folders to merge");
  for (int k = 0; k < count; ++k)
    if (!found.count(k))
      throw Error(dir + "/" + shard_dir_name({k, count}) + ": missing (" +
                  std::to_string(found.size()) + " of " + std::to_string(count) + " shards found)");

  std::vector<ShardRun> shards;
  for (int k = 0; k < count; ++k) {
    shards.push_back(load_shard(dir + "/" + found.at(k)));
    if (shards.back().config_text != shards.front().config_text)
      throw Error(shards.back().dir + "/config.toml: differs from " + shards.front().dir +
                  "/config.toml (shards of different configs)");
  }
  const std::string saved = dir + "/config.toml";
  const std::string config_text = shards.front().config_text;
  if (fs::exists(saved) && read_text(saved, "") != config_text)
    throw Error(saved + ": differs from the shards' config.toml");
  const RunConfig cfg = load_run_config(shards.front().dir + "/config.toml");
  const auto grid = expand_grid(cfg);

  // Every job of the grid in the grid's order, from the shard that ran it.
  MergeSummary summary;
  summary.shards = count;
  std::vector<JobResult> results;
  nlohmann::json placements = nlohmann::json::array();
  fs::create_directories(dir + "/jobs");
  for (size_t i = 0; i < grid.size(); ++i) {
    const int k = static_cast<int>(i % static_cast<size_t>(count));
    const auto& shard = shards[static_cast<size_t>(k)];
    auto it = shard.results.find(grid[i].job_id);
    JobResult r;
    if (it != shard.results.end()) {
      r = it->second;
    } else {
      r.record.job_id = grid[i].job_id;
      r.record.kind = grid[i].kind;
      r.record.strategy = grid[i].strategy;
      r.record.epochs = grid[i].epochs;
      r.record.status = "pending";
    }
    summary.not_ok += r.record.status != "ok";
    nlohmann::json placement = r.placement.is_object() ? r.placement : nlohmann::json::object();
    placement["shard"] = found.at(k);
    placements.push_back(
        {{"job_id", r.record.job_id}, {"status", r.record.status}, {"placement", placement}});
    // DIR/jobs/<id> -> ../shard-K-of-N/jobs/<id>, so DIR reads like a single run's folder.
    const fs::path link = fs::path(dir) / "jobs" / grid[i].job_id;
    const fs::path target = fs::path("..") / found.at(k) / "jobs" / grid[i].job_id;
    if (fs::exists(fs::path(dir) / found.at(k) / "jobs" / grid[i].job_id) &&
        !fs::exists(fs::symlink_status(link)))
      fs::create_directory_symlink(target, link);
    results.push_back(r);
  }
  summary.jobs = static_cast<int64_t>(results.size());

  nlohmann::json shard_manifests = nlohmann::json::array();
  for (const auto& s : shards) {
    nlohmann::json m = s.manifest;
    m.erase("jobs");
    shard_manifests.push_back(m);
  }
  const nlohmann::json manifest = {{"config", cfg.source},
                                   {"config_hash", sha256_hex(config_text)},
                                   {"run_dir", dir},
                                   {"merged_from", shard_manifests},
                                   {"jobs", placements}};
  if (!fs::exists(saved)) write_file_atomic(saved, config_text);
  write_results(dir, results, manifest);
  summary.tables = results_tables(results);
  return summary;
}

}  // namespace bertgrid::grid
