#include "grid/merge.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/sha256.h"
#include "grid/plan.h"
#include "grid/results.h"
#include "grid/run_inputs.h"
#include "grid/run_lock.h"
#include "train/history_csv.h"

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
  const std::string history_path = dir + "/history.csv";
  auto history = train::parse_run_history_csv(read_text(history_path, "the shard did not finish"),
                                              history_path);
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

// The shard folders of `dir`, by index: exactly shard-0-of-N ... shard-(N-1)-of-N.
std::map<int, std::string> find_shards(const std::string& dir) {
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
  return found;
}

// DIR/jobs/<id> -> ../shard-K-of-N/jobs/<id>, so DIR reads like a single run's folder.
void link_job_dir(const std::string& dir, const std::string& shard, const std::string& job_id) {
  const fs::path link = fs::path(dir) / "jobs" / job_id;
  const fs::path target = fs::path("..") / shard / "jobs" / job_id;
  if (fs::exists(fs::path(dir) / shard / "jobs" / job_id) && !fs::exists(fs::symlink_status(link)))
    fs::create_directory_symlink(target, link);
}

// The shards' recorded inputs, which must be the same (shards made before bertgrid recorded them
// are not compared); nullopt when the first shard has none.
std::optional<RunInputs> same_inputs(const std::vector<ShardRun>& shards) {
  const auto first = read_run_inputs(shards.front().dir);
  for (size_t k = 1; k < shards.size(); ++k) {
    const auto other = read_run_inputs(shards[k].dir);
    if (!first || !other) continue;
    const std::string diff = inputs_difference(*first, *other);
    if (!diff.empty())
      throw Error(shards[k].dir + "/" + kInputsFile + ": differs from " + shards.front().dir + "/" +
                  kInputsFile + " (" + diff + "): the shards ran on other inputs");
  }
  return first;
}

}  // namespace

MergeSummary merge_shards(const std::string& dir) {
  const auto found = find_shards(dir);
  std::vector<std::string> notes;
  const RunLock lock(dir, RunSettings{}.lock_stale_after, notes);
  for (const auto& note : notes) std::cerr << "note: " << note << std::endl;
  const int count = static_cast<int>(found.size());
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
  const auto inputs = same_inputs(shards);
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
    JobResult r = it != shard.results.end() ? it->second : pending_result(grid[i]);
    nlohmann::json placement = r.placement.is_object() ? r.placement : nlohmann::json::object();
    placement["shard"] = found.at(k);
    placements.push_back({{"job_id", r.record.job_id},
                          {"status", to_string(r.record.status)},
                          {"placement", placement}});
    link_job_dir(dir, found.at(k), grid[i].job_id);
    results.push_back(r);
  }
  summary.counts = count_statuses(results);

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
  if (inputs) write_run_inputs(dir, *inputs);
  write_results(dir, results);
  write_manifest(dir, manifest);
  summary.tables = results_tables(results);
  return summary;
}

}  // namespace bertgrid::grid
