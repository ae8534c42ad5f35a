// Sharded grids (`bertgrid run --shard K/N`, one Slurm array task each) and `bertgrid merge`:
// every N-th job per shard, and the merged results of the shards equal a single run's, byte for
// byte except the timing column. Also --embeddings-only, whose file the shards then reuse.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/error.h"
#include "grid/plan.h"
#include "tests/support.h"
#include "text/csv.h"

namespace bertgrid::testing {
namespace {

using nlohmann::json;

// tests/configs/tiny.toml with absolute shared paths and one thread per rank.
std::string tiny_config() {
  std::string text = read_file(std::string(BERTGRID_SOURCE_DIR) + "/tests/configs/tiny.toml");
  for (const std::string rel :
       {"data/hate-speech-dataset", "data/bert-base-uncased-vocab/vocab.txt"}) {
    const std::string from = "\"../../../shared/" + rel + "\"";
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), "\"" + shared_path(rel) + "\"");
  }
  return text + "\n[run]\nthreads_per_rank = 1\nranks_per_job = 1\n";
}

// A results.csv with its train_seconds column emptied (the only column that differs between
// two runs of the same jobs).
std::string without_timing(const std::string& path) {
  const auto table = text::parse_csv_table(read_file(path), path);
  const auto col = text::csv_column(table, "train_seconds", path);
  std::string out;
  for (size_t i = 0; i < table.header.size(); ++i) out += table.header[i] + ",";
  out += "\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.fields.size(); ++i) out += (i == col ? "" : row.fields[i]) + ",";
    out += "\n";
  }
  return out;
}

json records_without_timing(const std::string& path) {
  json records = json::parse(read_file(path)).at("jobs");
  for (auto& r : records) r.erase("train_seconds");
  return records;
}

std::vector<std::string> job_ids(const std::string& results_json) {
  std::vector<std::string> ids;
  const json file = json::parse(read_file(results_json));
  for (const auto& r : file.at("jobs")) ids.push_back(r.at("job_id").get<std::string>());
  return ids;
}

TEST(GridShard, ParsesKOfNAndRefusesTheRest) {
  const auto s = grid::parse_shard("1/3");
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(grid::shard_dir_name(s), "shard-1-of-3");
  for (const char* bad : {"3/3", "0/0", "1", "a/2", "-1/2", "1/", "/2", "1/2/3", " 1/2"})
    EXPECT_THROW(grid::parse_shard(bad), Error) << bad;
}

TEST(GridShard, ShardsTakeEveryNthJobAndCoverTheGridOnce) {
  std::vector<jobs::JobSpec> grid(7);
  for (size_t i = 0; i < grid.size(); ++i) grid[i].job_id = "j" + std::to_string(i);
  std::vector<std::string> seen;
  for (int k = 0; k < 3; ++k)
    for (const auto& j : grid::shard_jobs(grid, {k, 3})) seen.push_back(j.job_id);
  EXPECT_EQ(seen, (std::vector<std::string>{"j0", "j3", "j6", "j1", "j4", "j2", "j5"}));
  EXPECT_EQ(grid::shard_jobs(grid, {0, 1}).size(), 7u);
}

TEST(GridShard, MergedShardsEqualTheSingleRun) {
  TempDir dir;
  const std::string config = dir.write("tiny.toml", tiny_config());
  const auto grid = grid::expand_grid(load_run_config(config));
  ASSERT_EQ(grid.size(), 4u);
  const std::string single = dir / "single", sharded = dir / "sharded";
  auto r = run_mpi(dir, 1, "run --config " + config + " --out " + single);
  ASSERT_EQ(r.status, 0) << r.err;

  // The embedding stage alone first; the shards start from its file (a fingerprint hit).
  r = run_mpi(dir, 1, "run --config " + config + " --out " + sharded + " --embeddings-only");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(sharded + "/embeddings.h5"));
  EXPECT_FALSE(fs::exists(sharded + "/results.csv"));
  for (int k = 0; k < 2; ++k) {
    r = run_mpi(
        dir, 1,
        "run --config " + config + " --out " + sharded + " --shard " + std::to_string(k) + "/2");
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string shard_dir = sharded + "/shard-" + std::to_string(k) + "-of-2";
    EXPECT_EQ(job_ids(shard_dir + "/results.json"),
              (std::vector<std::string>{grid[k].job_id, grid[k + 2].job_id}));
    const json m = json::parse(read_file(shard_dir + "/manifest.json"));
    EXPECT_EQ(m.at("shard").at("index"), k);
    EXPECT_EQ(m.at("shard").at("count"), 2);
    EXPECT_EQ(m.at("embeddings").at("encoder_forwards"), 0) << "shard " << k;
  }

  const auto merged = run_bertgrid(dir, "merge --out " + sharded);
  ASSERT_EQ(merged.status, 0) << merged.err;
  EXPECT_NE(merged.out.find("Fine-tuning, by epochs"), std::string::npos) << merged.out;
  EXPECT_EQ(without_timing(sharded + "/results.csv"), without_timing(single + "/results.csv"));
  EXPECT_EQ(records_without_timing(sharded + "/results.json"),
            records_without_timing(single + "/results.json"));
  EXPECT_EQ(read_file(sharded + "/history.csv"), read_file(single + "/history.csv"));
  const json manifest = json::parse(read_file(sharded + "/manifest.json"));
  ASSERT_EQ(manifest.at("jobs").size(), 4u);
  for (size_t i = 0; i < grid.size(); ++i) {
    EXPECT_EQ(manifest.at("jobs")[i].at("placement").at("shard"),
              "shard-" + std::to_string(i % 2) + "-of-2");
    // DIR/jobs/<id> leads to the job's own folder in its shard.
    EXPECT_EQ(read_file(sharded + "/jobs/" + grid[i].job_id + "/record.json"),
              read_file(sharded + "/shard-" + std::to_string(i % 2) + "-of-2/jobs/" +
                        grid[i].job_id + "/record.json"));
  }
}

TEST(GridShard, MergeRefusesAMissingShardOrADifferentConfig) {
  TempDir dir;
  const std::string config = dir.write("tiny.toml", tiny_config());
  const std::string out = dir / "run";
  auto r = run_mpi(dir, 1, "run --config " + config + " --out " + out + " --shard 1/2");
  ASSERT_EQ(r.status, 0) << r.err;
  auto m = run_bertgrid(dir, "merge --out " + out);
  EXPECT_EQ(m.status, 1);
  EXPECT_NE(m.err.find("shard-0-of-2: missing (1 of 2 shards found)"), std::string::npos) << m.err;
  EXPECT_FALSE(fs::exists(out + "/results.csv"));

  // Shard 0 from another config (a different learning rate): refused, naming both files.
  std::string other = tiny_config();
  other.replace(other.find("learning_rate = 1e-3"), 20, "learning_rate = 2e-3");
  const std::string other_config = dir.write("other.toml", other);
  fs::create_directories(out + "/shard-0-of-2");
  dir.write("run/shard-0-of-2/config.toml", read_file(other_config));
  dir.write("run/shard-0-of-2/results.json", "{\"jobs\": []}");
  dir.write("run/shard-0-of-2/history.csv", "job_id,kind,step,epoch,loss,lr,grad_norm\n");
  dir.write("run/shard-0-of-2/manifest.json", "{\"jobs\": []}");
  m = run_bertgrid(dir, "merge --out " + out);
  EXPECT_EQ(m.status, 1);
  EXPECT_NE(m.err.find("shard-1-of-2/config.toml: differs from"), std::string::npos) << m.err;
}

}  // namespace
}  // namespace bertgrid::testing
