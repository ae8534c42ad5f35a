// One embedding pipeline: `bertgrid embed --config` runs the grid's embedding stage, so its
// file is the grid's (same fingerprint, same vectors, bit for bit), `train --job head` on it
// gives the grid's head record (every field but train_seconds), and `run --embeddings FILE`
// takes it as the run's embeddings when the fingerprints match and refuses it, naming the
// differing fields, when they don't.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/embeddings_h5.h"
#include "tests/support.h"

namespace bertgrid::testing {
namespace {

using nlohmann::json;

const std::string kData = shared_path("data/hate-speech-dataset");

// A small grid of head jobs only (two strategies), with a validation split carved from train.
std::string head_config(const std::string& max_length = "64") {
  return "name = \"embedpipe\"\n"
         "[data]\n"
         "dir = \"" +
         kData +
         "\"\n"
         "max_length = " +
         max_length +
         "\n"
         "limit_train = 40\nlimit_test = 16\nvalidation_fraction = 0.25\n"
         "[model]\ninit = \"random\"\n"
         "vocab = \"" +
         shared_path("data/bert-base-uncased-vocab/vocab.txt") +
         "\"\n"
         "dim = 32\nn_layers = 2\nn_heads = 4\nhidden_dim = 64\nmax_position_embeddings = 128\n"
         "[finetune]\nenabled = false\n"
         "[embeddings]\nstrategies = [\"CLS\", \"LAST_MAX\"]\nepochs = 2\nbatch_size = 8\n"
         "learning_rate = 1e-3\nwarmup_steps = 2\nlogging_steps = 2\ninit_seed = 7\n"
         "data_seed = 11\nencode_batch_size = 8\n"
         "[run]\nthreads_per_rank = 1\n";
}

json results_job(const std::string& run_dir, const std::string& part) {
  const json results = json::parse(read_file(run_dir + "/results.json"));
  for (const auto& j : results.at("jobs"))
    if (j.at("job_id").get<std::string>().find(part) != std::string::npos) return j;
  ADD_FAILURE() << "no job " << part << " in " << run_dir;
  return json::object();
}

TEST(EmbedPipeline, EmbedThenTrainHeadGivesTheGridsRecordAndRunTakesTheFile) {
  TempDir dir;
  const std::string config = dir.write("c.toml", head_config());
  const auto grid = run_mpi(dir, 1, "run --config " + config + " --out " + (dir / "grid"));
  ASSERT_EQ(grid.status, 0) << grid.err;

  const std::string h5 = dir / "emb.h5";
  const auto embed = run_bertgrid(dir, "embed --config " + config + " --out " + h5);
  ASSERT_EQ(embed.status, 0) << embed.err;
  const auto mine = io::read_embeddings_h5(h5);
  const auto grids = io::read_embeddings_h5(dir / "grid/embeddings.h5");
  EXPECT_EQ(mine.attrs_str, grids.attrs_str);
  EXPECT_EQ(mine.attrs_int, grids.attrs_int);
  for (const std::string split : {"train", "test"}) {
    const auto& a = mine.splits.at(split);
    const auto& b = grids.splits.at(split);
    EXPECT_EQ(a.file_ids, b.file_ids) << split;
    EXPECT_EQ(a.labels, b.labels) << split;
    ASSERT_EQ(a.by_strategy.size(), 2u) << split;  // the config's strategies, not all five
    for (const auto& [name, t] : a.by_strategy)
      EXPECT_TRUE(torch::equal(t, b.by_strategy.at(name))) << split << "/" << name;
  }
  EXPECT_EQ(mine.splits.at("train").file_ids.size(), 40u);  // validation rows included

  // train --job head on the embed file: the grid's record but for train_seconds.
  const auto head = run_bertgrid(dir, "train --config " + config + " --data " + kData +
                                          " --job head --strategy LAST_MAX --threads 1" +
                                          " --embeddings " + h5 + " --out " + (dir / "job"));
  ASSERT_EQ(head.status, 0) << head.err;
  json got = json::parse(head.out);
  json want = results_job(dir / "grid", "LAST_MAX");
  ASSERT_FALSE(want.empty());
  for (auto* j : {&got, &want}) {
    EXPECT_GT(j->at("train_seconds").get<double>(), 0);
    j->erase("train_seconds");
  }
  got.erase("resumed_from_step");  // train's own addition
  EXPECT_EQ(got, want);

  // run --embeddings: a match is used as it is (no encoder forward) ...
  const auto reuse = run_mpi(
      dir, 1, "run --config " + config + " --out " + (dir / "reuse") + " --embeddings " + h5);
  ASSERT_EQ(reuse.status, 0) << reuse.err;
  const auto manifest = json::parse(read_file(dir / "reuse/manifest.json")).at("embeddings");
  EXPECT_EQ(manifest.at("cache_hit"), true);
  EXPECT_EQ(manifest.at("encoder_forwards").get<int64_t>(), 0);
  EXPECT_EQ(results_job(dir / "reuse", "LAST_MAX").at("eval_f1_hate"), want.at("eval_f1_hate"));

  // ... and another config's file is refused, naming the field that differs.
  const std::string other = dir.write("other.toml", head_config("48"));
  const auto refused = run_mpi(
      dir, 1, "run --config " + other + " --out " + (dir / "refused") + " --embeddings " + h5);
  EXPECT_EQ(refused.status, 1) << refused.err;
  EXPECT_NE(refused.err.find("max_length: '64' in the file, '48' wanted"), std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("strategies:"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "refused/results.json"));
}

// A full disk while writing the file (RLIMIT_FSIZE, SIGXFSZ ignored: write(2) fails with EFBIG):
// a clear error naming the file, exit status 1, no crash, and nothing left behind.
TEST(EmbedPipeline, AFullDiskWhileWritingFailsCleanly) {
  TempDir dir;
  const std::string config = dir.write("c.toml", head_config());
  const std::string h5 = dir / "emb.h5";
  // A file-size limit of 16 KiB (the file is about 25 KiB), SIGXFSZ ignored: writes fail with
  // EFBIG. PMIx's shared-memory store (gds ds21) would fail under the limit in MPI_Init, so the
  // singleton keeps its data in a hash instead.
  const auto r = run_shell(dir, "trap '' XFSZ; ulimit -f 16; export PMIX_MCA_gds=hash; exec " +
                                    std::string(BERTGRID_BINARY) + " embed --config " + config +
                                    " --out " + h5);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(h5), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().find("emb.h5"), std::string::npos)
        << entry.path() << " left behind";
}

}  // namespace
}  // namespace bertgrid::testing
