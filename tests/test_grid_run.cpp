// Acceptance tests of `bertgrid run`: the whole grid under mpirun (launched with std::system),
// checked through the files a run leaves: results.json, manifest.json, the saved models.
// Determinism across rank counts, data parallelism, failures and resume, the stall watchdog, the
// embedding cache's fingerprint, and config errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/config.h"
#include "grid/plan.h"
#include "model/safetensors.h"
#include "tests/support.h"

namespace bertgrid::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// `text` with the first `from` replaced by `to`; fails the test when `from` is absent.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "config text lacks: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// `text` with `lines` added at the top of [table].
std::string with_keys(const std::string& text, const std::string& table, const std::string& lines) {
  return replaced(text, "[" + table + "]\n", "[" + table + "]\n" + lines);
}

// tests/configs/tiny.toml with absolute shared paths, threads_per_rank 1 (so that a job's
// numbers do not depend on how many ranks share the machine) and `run` keys appended.
std::string tiny_config(const std::string& run_keys = "ranks_per_job = 1\n") {
  std::string text = read_file(std::string(BERTGRID_SOURCE_DIR) + "/tests/configs/tiny.toml");
  text = replaced(text, "\"../../../shared/data/hate-speech-dataset\"",
                  "\"" + shared_path("data/hate-speech-dataset") + "\"");
  text = replaced(text, "\"../../../shared/data/bert-base-uncased-vocab/vocab.txt\"",
                  "\"" + shared_path("data/bert-base-uncased-vocab/vocab.txt") + "\"");
  return text + "\n[run]\nthreads_per_rank = 1\n" + run_keys;
}

json read_json(const std::string& path) {
  return json::parse(read_file(path));
}

// results.json's records by job id.
std::map<std::string, json> results_by_id(const std::string& run_dir) {
  std::map<std::string, json> out;
  const json file = read_json(run_dir + "/results.json");
  for (const auto& j : file.at("jobs")) out[j.at("job_id").get<std::string>()] = j;
  return out;
}

// manifest.json's placements by job id.
std::map<std::string, json> placements_by_id(const std::string& run_dir) {
  std::map<std::string, json> out;
  const json file = read_json(run_dir + "/manifest.json");
  for (const auto& j : file.at("jobs")) out[j.at("job_id").get<std::string>()] = j.at("placement");
  return out;
}

// The one job id containing `part`.
std::string job_with(const std::map<std::string, json>& results, const std::string& part) {
  std::string found;
  for (const auto& [id, r] : results)
    if (id.find(part) != std::string::npos) found = id;
  EXPECT_FALSE(found.empty()) << "no job id contains " << part;
  return found;
}

void expect_all_ok(const std::string& run_dir, std::size_t n_jobs) {
  const auto results = results_by_id(run_dir);
  EXPECT_EQ(results.size(), n_jobs);
  for (const auto& [id, r] : results) EXPECT_EQ(r.at("status"), "ok") << id << ": " << r.dump();
}

std::string cmd_args(const std::string& config, const std::string& out,
                     const std::string& extra = "") {
  return "run --config " + config + " --out " + out + (extra.empty() ? "" : " " + extra);
}

TEST(GridRun, SameMetricsWithOneTwoAndFourRanks) {
  TempDir dir;
  const std::string config = dir.write("grid.toml", tiny_config());
  const auto jobs = grid::expand_grid(load_run_config(config));
  ASSERT_EQ(jobs.size(), 4u);  // 2 fine-tunes + 2 heads
  std::map<int, std::map<std::string, json>> results;
  for (int np : {1, 2, 4}) {
    const std::string out = dir / ("np" + std::to_string(np));
    const auto r = run_mpi(dir, np, cmd_args(config, out));
    ASSERT_EQ(r.status, 0) << r.err;
    expect_all_ok(out, jobs.size());
    results[np] = results_by_id(out);
    // Each job ran on the group the schedule gives it.
    const auto groups = grid::assign_groups(jobs, np);
    const auto placements = placements_by_id(out);
    std::set<int> used;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const auto& p = placements.at(jobs[i].job_id);
      EXPECT_EQ(p.at("group").get<int>(), groups[i]) << "np " << np << " " << jobs[i].job_id;
      EXPECT_EQ(p.at("ranks"), json::array({groups[i]})) << jobs[i].job_id;
      // The job's seconds, and the parts of them spent evaluating and writing its files.
      const double seconds = p.at("seconds"), evaluating = p.at("evaluation_seconds"),
                   writing = p.at("outputs_seconds");
      EXPECT_GT(evaluating, 0) << jobs[i].job_id;
      EXPECT_GT(writing, 0) << jobs[i].job_id;
      EXPECT_LT(evaluating + writing, seconds) << jobs[i].job_id;
      used.insert(p.at("group").get<int>());
    }
    EXPECT_EQ(used, std::set<int>(groups.begin(), groups.end())) << "np " << np;
    if (np == 2) {
      EXPECT_EQ(used, (std::set<int>{0, 1}));
    }
  }
  for (int np : {2, 4})
    for (const auto& [id, r1] : results[1]) {
      const auto& r = results[np].at(id);
      for (const char* key : {"eval_loss", "eval_accAll", "eval_train_loss"})
        EXPECT_NEAR(r.at(key).get<double>(), r1.at(key).get<double>(), 1e-6)
            << id << " " << key << " np " << np;
    }
}

TEST(GridRun, DataParallelMatchesOneRankAndSplitsTheBatches) {
  TempDir dir;
  std::string text = tiny_config();
  text = replaced(text, "dropout = 0.1\nattention_dropout = 0.1\nseq_classif_dropout = 0.2",
                  "dropout = 0.0\nattention_dropout = 0.0\nseq_classif_dropout = 0.0");
  text = replaced(text, "epochs = [1, 2]", "epochs = [1]");
  text = with_keys(text, "embeddings", "enabled = false\n");
  const std::string one = dir.write("one.toml", text);
  const std::string two =
      dir.write("two.toml", replaced(text, "ranks_per_job = 1", "ranks_per_job = 2"));
  const auto r1 = run_mpi(dir, 2, cmd_args(one, dir / "one"));
  ASSERT_EQ(r1.status, 0) << r1.err;
  const auto r2 = run_mpi(dir, 2, cmd_args(two, dir / "two"));
  ASSERT_EQ(r2.status, 0) << r2.err;
  const auto results = results_by_id(dir / "one");
  ASSERT_EQ(results.size(), 1u);
  const std::string id = results.begin()->first;

  // 96 examples, batches of 16: each rank of two takes 8 of every batch.
  const int64_t n = 96, batch = 16;
  std::vector<int64_t> expected(2, 0);
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t size = std::min(batch, n - start);
    for (int k = 0; k < 2; ++k) expected[k] += size / 2 + (k < size % 2 ? 1 : 0);
  }
  EXPECT_EQ(placements_by_id(dir / "one").at(id).at("examples_per_rank"), json::array({n}));
  EXPECT_EQ(placements_by_id(dir / "two").at(id).at("examples_per_rank"), json(expected));
  EXPECT_EQ(placements_by_id(dir / "two").at(id).at("ranks"), json::array({0, 1}));

  const auto a = model::load_safetensors(dir / ("one/jobs/" + id + "/model/model.safetensors"));
  const auto b = model::load_safetensors(dir / ("two/jobs/" + id + "/model/model.safetensors"));
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  ASSERT_GT(a.tensors.size(), 0u);
  for (const auto& [name, t] : a.tensors) {
    const auto* u = b.find(name);
    ASSERT_NE(u, nullptr) << name;
    EXPECT_LT((t - *u).abs().max().item<double>(), 1e-5) << name;
  }
  EXPECT_NEAR(results.at(id).at("eval_loss").get<double>(),
              results_by_id(dir / "two").at(id).at("eval_loss").get<double>(), 1e-5);
}

TEST(GridRun, ThrowOnOneRankFailsTheJobAndResumeCompletes) {
  TempDir dir;
  // A warmup ratio: failed and ok records alike store the steps it gives.
  const std::string config = dir.write("grid.toml", with_keys(tiny_config("ranks_per_job = 2\n"),
                                                              "finetune", "warmup_ratio = 0.5\n"));
  const std::string out = dir / "run";
  const auto r =
      run_mpi(dir, 2, cmd_args(config, out, "--fault throw:rank=1:job=finetune-e1:step=2"));
  EXPECT_NE(r.status, 0) << r.err;
  EXPECT_NE(r.status, 124) << "timed out: " << r.err;
  const auto results = results_by_id(out);
  ASSERT_EQ(results.size(), 4u);
  const std::string failed = job_with(results, "finetune-e1");
  for (const auto& [id, rec] : results) {
    if (id == failed) {
      EXPECT_EQ(rec.at("status"), "failed");
      // The cause from the rank it happened on, named; not its peer's "other rank failed".
      EXPECT_EQ(rec.at("error").get<std::string>().rfind(
                    "rank 1: step 2: injected failure on rank 1 in " + failed, 0),
                0u)
          << rec.at("error");
      EXPECT_EQ(rec.at("error").get<std::string>().find("other rank"), std::string::npos);
    } else {
      EXPECT_EQ(rec.at("status"), "ok") << id << ": " << rec.dump();
    }
  }
  const auto again = run_mpi(dir, 2, cmd_args(config, out, "--resume"));
  EXPECT_EQ(again.status, 0) << again.err;
  expect_all_ok(out, 4);
  // 96 rows, batches of 16, one epoch: 6 steps, ceil(0.5 * 6) = 3 warmup steps.
  EXPECT_EQ(results.at(failed).at("warmup_steps"), 3);
  EXPECT_EQ(results_by_id(out).at(failed).at("warmup_steps"), 3);
}

TEST(GridRun, NanLossFailsTheJobAndResumeCompletes) {
  TempDir dir;
  const std::string config = dir.write("grid.toml", tiny_config());
  const std::string out = dir / "run";
  const auto r = run_mpi(dir, 2, cmd_args(config, out, "--fault nan:job=finetune-e1:step=1"));
  EXPECT_EQ(r.status, 1) << r.err;
  const auto results = results_by_id(out);
  ASSERT_EQ(results.size(), 4u);
  const std::string failed = job_with(results, "finetune-e1");
  for (const auto& [id, rec] : results) {
    if (id == failed) {
      EXPECT_EQ(rec.at("status"), "failed");
      EXPECT_NE(rec.at("error").get<std::string>().find("NaN"), std::string::npos)
          << rec.at("error");
    } else {
      EXPECT_EQ(rec.at("status"), "ok") << id << ": " << rec.dump();
    }
  }
  const auto again = run_mpi(dir, 2, cmd_args(config, out, "--resume"));
  EXPECT_EQ(again.status, 0) << again.err;
  expect_all_ok(out, 4);
}

// The heartbeat line of `rank` (empty when absent or half-written).
json heartbeat(const std::string& run_dir, int rank) {
  std::ifstream in(run_dir + "/heartbeat/rank-" + std::to_string(rank));
  std::string line;
  std::getline(in, line);
  const auto j = json::parse(line, nullptr, false);
  return j.is_discarded() ? json() : j;
}

TEST(GridRun, StoppedRankTripsTheWatchdogAndResumeCompletes) {
  TempDir dir;
  // Longer fine-tunes so that rank 1 can be caught inside one.
  std::string text = tiny_config("ranks_per_job = 2\nstall_timeout = 5\n");
  text = replaced(text, "epochs = [1, 2]", "epochs = [3, 4]");
  const std::string config = dir.write("grid.toml", text);
  const std::string out = dir / "run";
  const std::string status_file = dir / "status";
  const std::string cmd = "(" + mpi_command(2, cmd_args(config, out)) + " < /dev/null > " +
                          (dir / "out") + " 2> " + (dir / "err") + "; echo $? > " + status_file +
                          ".tmp; mv " + status_file + ".tmp " + status_file + ") &";
  ASSERT_EQ(std::system(cmd.c_str()), 0);

  using Clock = std::chrono::steady_clock;
  int pid = 0;
  for (auto until = Clock::now() + std::chrono::seconds(60); Clock::now() < until && pid == 0;) {
    const auto beat = heartbeat(out, 1);
    if (beat.is_object() && beat.value("state", "") == "busy" &&
        beat.value("job", "").find("finetune") != std::string::npos)
      pid = beat.value("pid", 0);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(pid, 0) << "rank 1 never reported busy in a fine-tune";
  ASSERT_EQ(kill(pid, SIGSTOP), 0);

  bool ended = false;
  for (auto until = Clock::now() + std::chrono::seconds(130); Clock::now() < until && !ended;) {
    ended = fs::exists(status_file);
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  kill(pid, SIGCONT);
  kill(pid, SIGKILL);
  ASSERT_TRUE(ended) << "mpirun did not end";
  const int status = std::stoi(read_file(status_file));
  EXPECT_NE(status, 0);
  EXPECT_NE(status, 124) << "ended by timeout, not by the watchdog";
  const std::string err = read_file(dir / "err");
  EXPECT_NE(err.find("stalled"), std::string::npos) << err;
  EXPECT_NE(err.find("rank 1"), std::string::npos) << err;

  const auto again = run_mpi(dir, 2, cmd_args(config, out, "--resume"));
  EXPECT_EQ(again.status, 0) << again.err;
  expect_all_ok(out, 4);
}

// A small embeddings-only config over `data_dir` with `vocab`.
std::string embed_config(const std::string& data_dir, const std::string& vocab) {
  std::string text = tiny_config();
  text =
      replaced(text, "\"" + shared_path("data/hate-speech-dataset") + "\"", "\"" + data_dir + "\"");
  text = replaced(text, "\"" + shared_path("data/bert-base-uncased-vocab/vocab.txt") + "\"",
                  "\"" + vocab + "\"");
  text = replaced(text, "limit_train = 96\nlimit_test = 48", "limit_train = 32\nlimit_test = 16");
  text = replaced(text, "strategies = [\"CLS\", \"LAST_MEAN\"]\nepochs = 2",
                  "strategies = [\"CLS\"]\nepochs = 1");
  return with_keys(text, "finetune", "enabled = false\n");
}

TEST(GridRun, EmbeddingCacheHitsAndEachFingerprintFieldMisses) {
  TempDir dir;
  // A copy of the dataset, and of the vocab, that variants may edit.
  const fs::path data = dir.path() / "data";
  const fs::path shared_data = shared_path("data/hate-speech-dataset");
  fs::create_directories(data);
  fs::copy_file(shared_data / "annotations_metadata.csv", data / "annotations_metadata.csv");
  fs::copy(shared_data / "sampled_train", data / "sampled_train");
  fs::copy(shared_data / "sampled_test", data / "sampled_test");
  const std::string vocab = dir / "vocab.txt";
  fs::copy_file(shared_path("data/bert-base-uncased-vocab/vocab.txt"), vocab);
  const std::string base = embed_config(data.string(), vocab);
  const std::string config = dir.write("base.toml", base);
  const std::string out = dir / "base";

  auto embeddings = [](const std::string& run_dir) {
    return read_json(run_dir + "/manifest.json").at("embeddings");
  };
  const auto first = run_mpi(dir, 1, cmd_args(config, out));
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(embeddings(out).at("cache_hit"), false);
  EXPECT_GT(embeddings(out).at("encoder_forwards").get<int64_t>(), 0);
  // Random weights enter the key by seed, architecture and a sample; they are not saved.
  EXPECT_FALSE(fs::exists(out + "/random_encoder.safetensors"));
  const auto forced = run_mpi(dir, 1, cmd_args(config, out, "--force"));
  ASSERT_EQ(forced.status, 0) << forced.err;
  EXPECT_EQ(embeddings(out).at("cache_hit"), true);
  EXPECT_EQ(embeddings(out).at("encoder_forwards").get<int64_t>(), 0);

  // Each variant starts from the base run's embeddings.h5 in a fresh run dir and must recompute
  // them; the base config itself (the control) reuses them there.
  auto run_variant = [&](const std::string& name, const std::string& text) {
    const std::string run = dir / ("v-" + name);
    fs::create_directories(run);
    fs::copy_file(out + "/embeddings.h5", run + "/embeddings.h5");
    const auto r = run_mpi(dir, 1, cmd_args(dir.write(name + ".toml", text), run, "--force"));
    EXPECT_EQ(r.status, 0) << r.err;
    return embeddings(run);
  };
  const auto control = run_variant("control", base);
  EXPECT_EQ(control.at("cache_hit"), true);
  EXPECT_EQ(control.at("encoder_forwards").get<int64_t>(), 0);
  auto expect_miss = [&](const std::string& name, const std::string& text) {
    SCOPED_TRACE(name);
    const auto e = run_variant(name, text);
    EXPECT_EQ(e.at("cache_hit"), false);
    EXPECT_GT(e.at("encoder_forwards").get<int64_t>(), 0);
  };
  expect_miss("max_length", replaced(base, "max_length = 64", "max_length = 48"));
  expect_miss("labels", base + "\n[data.labels]\nhate = 0\nnoHate = 1\n");
  expect_miss("pooling", with_keys(base, "embeddings", "pooling = \"notebook\"\n"));
  expect_miss("padding", with_keys(base, "embeddings", "padding = \"corpus\"\n"));
  expect_miss("init_seed", replaced(base, "init_seed = 7\ndata_seed = 11\n\n[run]",
                                    "init_seed = 8\ndata_seed = 11\n\n[run]"));
  expect_miss("architecture", replaced(base, "hidden_dim = 64", "hidden_dim = 96"));

  // Another vocab file: the same but for one line.
  std::string vocab_text = read_file(vocab);
  const std::string vocab2 =
      dir.write("vocab2/vocab.txt", replaced(vocab_text, "[unused0]\n", "[unused0x]\n"));
  expect_miss("vocab", replaced(base, "\"" + vocab + "\"", "\"" + vocab2 + "\""));

  // Another dataset folder: the same but for one sentence of the first training file.
  const fs::path data2 = dir.path() / "data2";
  fs::copy(data, data2, fs::copy_options::recursive);
  std::vector<fs::path> train_files;
  for (const auto& e : fs::directory_iterator(data2 / "sampled_train"))
    train_files.push_back(e.path());
  ASSERT_FALSE(train_files.empty());
  const fs::path edited = *std::min_element(train_files.begin(), train_files.end());
  std::ofstream(edited, std::ios::app) << " edited";
  expect_miss("data", replaced(base, "\"" + data.string() + "\"", "\"" + data2.string() + "\""));
}

// Runs `bertgrid run` on `text` and expects exit 1 with `message` on stderr.
void expect_config_error(const TempDir& dir, const std::string& name, const std::string& text,
                         const std::string& message, bool position, int np = 1,
                         const std::string& extra = "") {
  SCOPED_TRACE(name);
  const std::string config = dir.write(name + ".toml", text);
  const auto r = run_mpi(dir, np, cmd_args(config, dir / ("run-" + name), extra));
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  if (position) {
    // file:line:column
    const std::string prefix = name + ".toml:";
    const auto at = r.err.find(prefix);
    ASSERT_NE(at, std::string::npos) << r.err;
    std::size_t k = at + prefix.size(), digits = 0, colons = 0;
    for (; k < r.err.size() &&
           (std::isdigit(static_cast<unsigned char>(r.err[k])) || (r.err[k] == ':' && colons == 0));
         ++k)
      r.err[k] == ':' ? ++colons : ++digits;
    EXPECT_EQ(colons, 1u) << r.err;
    EXPECT_GE(digits, 2u) << r.err;
  }
}

TEST(GridRun, BadConfigsAreRefusedWithTheirPlace) {
  TempDir dir;
  const std::string base = tiny_config();
  expect_config_error(dir, "unknown_key", with_keys(base, "data", "bogus_key = 1\n"), "bogus_key",
                      true);
  expect_config_error(dir, "wrong_type", replaced(base, "max_length = 64", "max_length = \"64\""),
                      "max_length", true);
  expect_config_error(dir, "empty_epochs", replaced(base, "epochs = [1, 2]", "epochs = []"),
                      "epochs", true);
  expect_config_error(
      dir, "strategy",
      replaced(base, "strategies = [\"CLS\", \"LAST_MEAN\"]", "strategies = [\"CLS\", \"NOPE\"]"),
      "NOPE", true);
  expect_config_error(dir, "divide", replaced(base, "ranks_per_job = 1", "ranks_per_job = 4"),
                      "does not divide", false, 2);
}

TEST(GridRun, RunDirectoryIsNotReplacedOrResumedByMistake) {
  TempDir dir;
  std::string text = replaced(tiny_config(), "epochs = [1, 2]", "epochs = [1]");
  text = with_keys(text, "embeddings", "enabled = false\n");
  const std::string config = dir.write("grid.toml", text);
  const std::string out = dir / "run";
  const auto first = run_mpi(dir, 1, cmd_args(config, out));
  ASSERT_EQ(first.status, 0) << first.err;
  const auto plain = run_mpi(dir, 1, cmd_args(config, out));
  EXPECT_EQ(plain.status, 1);
  EXPECT_NE(plain.err.find("already holds a run"), std::string::npos) << plain.err;
  const std::string changed =
      dir.write("grid.toml", replaced(text, "learning_rate = 1e-3", "learning_rate = 2e-3"));
  const auto resumed = run_mpi(dir, 1, cmd_args(changed, out, "--resume"));
  EXPECT_EQ(resumed.status, 1);
  EXPECT_NE(resumed.err.find("different config"), std::string::npos) << resumed.err;
}

// A one-job config (no embeddings) that runs quickly.
std::string one_job_config() {
  std::string text = replaced(tiny_config(), "epochs = [1, 2]", "epochs = [1]");
  return with_keys(text, "embeddings", "enabled = false\n");
}

// `bertgrid ARGS` under mpirun -np NP, each rank's exit status written to dir/exit-R. The
// wrapper itself exits 0, so that mpirun lets every rank end by itself.
CommandResult run_mpi_each_rank(const TempDir& dir, int np, const std::string& args) {
  const std::string wrapper =
      dir.write("each_rank.sh", "\"$@\"; echo $? > " + (dir / "exit-") + "$OMPI_COMM_WORLD_RANK\n");
  for (int r = 0; r < np; ++r) fs::remove(dir / ("exit-" + std::to_string(r)));
  std::string cmd = mpi_command(np, args);
  const std::string binary = BERTGRID_BINARY;
  cmd.replace(cmd.find(binary), binary.size(), "sh " + wrapper + " " + binary);
  return run_shell(dir, cmd);
}

TEST(GridRun, FailureInEachRankZeroStageEndsEveryRankNamingTheStage) {
  TempDir dir;
  const std::string config = dir.write("grid.toml", one_job_config());
  const std::string out = dir / "run";
  const auto first = run_mpi(dir, 2, cmd_args(config, out));
  ASSERT_EQ(first.status, 0) << first.err;
  // With --resume every stage runs, and the one job is already done: each run is quick.
  for (const std::string stage : {"run directory", "resume scan", "results", "manifest"}) {
    SCOPED_TRACE(stage);
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_mpi_each_rank(
        dir, 2, cmd_args(config, out, "--resume --fault 'stage:" + stage + ":rank=0'"));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.status, 0) << "mpirun did not see every rank end: " << r.err;
    EXPECT_LT(seconds, 60) << r.err;
    EXPECT_NE(r.err.find("error: " + stage + ": injected failure on rank 0"), std::string::npos)
        << r.err;
    for (int rank : {0, 1}) {
      const std::string exit_file = dir / ("exit-" + std::to_string(rank));
      ASSERT_TRUE(fs::exists(exit_file)) << "rank " << rank << " did not exit by itself";
      EXPECT_EQ(std::stoi(read_file(exit_file)), 1) << "rank " << rank;
    }
  }
  // The run itself is intact: a plain resume finishes it.
  const auto again = run_mpi(dir, 2, cmd_args(config, out, "--resume"));
  EXPECT_EQ(again.status, 0) << again.err;
  expect_all_ok(out, 1);
}

// results.json's records without train_seconds.
json records_without_timing(const std::string& run_dir) {
  json records = read_json(run_dir + "/results.json").at("jobs");
  for (auto& r : records) r.erase("train_seconds");
  return records;
}

TEST(GridRun, DamagedJobFilesRunAgainWithAWarningAndTheSameResults) {
  TempDir dir;
  const std::string config = dir.write("grid.toml", tiny_config());
  const std::string clean = dir / "clean";
  const auto first = run_mpi(dir, 2, cmd_args(config, clean));
  ASSERT_EQ(first.status, 0) << first.err;
  const std::string out = dir / "damaged";
  fs::copy(clean, out, fs::copy_options::recursive);
  const auto results = results_by_id(clean);
  ASSERT_EQ(results.size(), 4u);
  std::vector<std::string> ids;
  for (const auto& [id, r] : results) ids.push_back(id);
  auto job_file = [&](size_t i, const std::string& name) {
    return out + "/jobs/" + ids[i] + "/" + name;
  };
  // One kind of damage per job.
  const std::string record = read_file(job_file(0, "record.json"));
  dir.write(fs::relative(job_file(0, "record.json"), dir.path()).string(),
            record.substr(0, record.size() / 2));
  json j = read_json(job_file(1, "record.json"));
  j.erase("eval_accAll");
  dir.write(fs::relative(job_file(1, "record.json"), dir.path()).string(), j.dump(1));
  std::string history = read_file(job_file(2, "history.csv"));
  history = replaced(history, "\ntrain,", "\ntrain,not-a-step,");
  dir.write(fs::relative(job_file(2, "history.csv"), dir.path()).string(), history);
  fs::remove(job_file(3, "history.csv"));
  dir.write(fs::relative(out + "/embeddings.h5", dir.path()).string(), "not HDF5");

  const auto again = run_mpi(dir, 2, cmd_args(config, out, "--resume"));
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("warning: " + out + "/embeddings.h5: unreadable"), std::string::npos)
      << again.err;
  // The manifest lists every recovery: four damaged job files and the embeddings file.
  const json warnings = read_json(out + "/manifest.json").at("warnings");
  EXPECT_EQ(warnings.size(), 5u) << warnings.dump(1);
  EXPECT_NE(again.err.find("warning: " + job_file(0, "record.json") + ": not a complete JSON"),
            std::string::npos)
      << again.err;
  EXPECT_NE(
      again.err.find("warning: " + job_file(1, "record.json") + ": job record: key 'eval_accAll'"),
      std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("warning: " + job_file(2, "history.csv") + ":2: "), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("warning: " + job_file(3, "history.csv") + ": missing"),
            std::string::npos)
      << again.err;
  // Every job ran again (none is from the earlier run), to the clean run's results.
  for (const auto& [id, p] : placements_by_id(out))
    EXPECT_FALSE(p.contains("from_earlier_run")) << id;
  EXPECT_EQ(records_without_timing(out), records_without_timing(clean));
  for (size_t i = 0; i < ids.size(); ++i)
    EXPECT_EQ(read_file(job_file(i, "history.csv")),
              read_file(clean + "/jobs/" + ids[i] + "/history.csv"));
  EXPECT_EQ(read_file(out + "/history.csv"), read_file(clean + "/history.csv"));
}

// --resume compares the run's inputs (inputs.json): other data is refused naming the file, a
// moved copy of the same data resumes, and a run that recorded none resumes with a warning.
TEST(GridRun, ResumeOnOtherDataIsRefusedAndMovedDataResumes) {
  TempDir dir;
  const fs::path shared_data = shared_path("data/hate-speech-dataset");
  const fs::path data = dir.path() / "data";
  fs::create_directories(data);
  fs::copy_file(shared_data / "annotations_metadata.csv", data / "annotations_metadata.csv");
  fs::copy(shared_data / "sampled_train", data / "sampled_train");
  fs::copy(shared_data / "sampled_test", data / "sampled_test");
  const std::string config = dir.write("grid.toml", one_job_config());
  const std::string out = dir / "run";
  const std::string with_data = " --data " + data.string();
  const auto first = run_mpi(dir, 1, cmd_args(config, out) + with_data);
  ASSERT_EQ(first.status, 0) << first.err;
  const json digests = read_json(out + "/inputs.json").at("sha256");
  std::string sentence;  // the first training sentence the run read
  for (const auto& [name, digest] : digests.items())
    if (sentence.empty() && name.rfind("dataset: sampled_train/", 0) == 0)
      sentence = name.substr(std::string("dataset: ").size());
  ASSERT_FALSE(sentence.empty()) << digests.dump(1);
  EXPECT_TRUE(digests.contains("vocab"));

  // The same data moved elsewhere resumes (nothing left to run).
  const fs::path moved = dir.path() / "moved";
  fs::rename(data, moved);
  const auto same = run_mpi(dir, 1, cmd_args(config, out, "--resume --data " + moved.string()));
  EXPECT_EQ(same.status, 0) << same.err;
  // One sentence edited: refused, naming it, and nothing is rewritten.
  std::ofstream(moved / sentence, std::ios::app) << " edited";
  const std::string results_before = read_file(out + "/results.csv");
  const auto other = run_mpi(dir, 1, cmd_args(config, out, "--resume --data " + moved.string()));
  EXPECT_EQ(other.status, 1) << other.err;
  EXPECT_NE(other.err.find("was run on other inputs (dataset: " + sentence +
                           " differs); use a new "
                           "--out, or --force to start over"),
            std::string::npos)
      << other.err;
  EXPECT_EQ(read_file(out + "/results.csv"), results_before);
  // A run that recorded no inputs (made before bertgrid did): resumed with a warning.
  fs::remove(out + "/inputs.json");
  const auto old = run_mpi(dir, 1, cmd_args(config, out, "--resume --data " + moved.string()));
  EXPECT_EQ(old.status, 0) << old.err;
  const json warnings = read_json(out + "/manifest.json").at("warnings");
  ASSERT_EQ(warnings.size(), 1u) << warnings.dump(1);
  EXPECT_NE(warnings[0].get<std::string>().find("made before bertgrid recorded its inputs"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(out + "/inputs.json"));
}

}  // namespace
}  // namespace bertgrid::testing
