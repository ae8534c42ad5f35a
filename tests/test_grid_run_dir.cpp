// The run directory's rules: --force removes only bertgrid's names, a directory of the user's own
// is refused untouched, --resume needs the same config.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/config.h"
#include "grid/run_dir.h"
#include "tests/support.h"

using namespace bertgrid;
using bertgrid::testing::error_of;
using bertgrid::testing::TempDir;
namespace fs = std::filesystem;

namespace {

RunConfig config(const std::string& lr = "5e-5") {
  return parse_run_config(
      "name = \"g\"\n[model]\ninit = \"random\"\nvocab = \"v.txt\"\n"
      "[finetune]\nlearning_rate = [" +
          lr + "]\n",
      "g.toml");
}

// What a finished run leaves (a subset), written by hand.
void fake_run_outputs(const TempDir& dir) {
  dir.write("run/results.csv", "x\n");
  dir.write("run/results.json", "{}\n");
  dir.write("run/history.csv", "x\n");
  dir.write("run/manifest.json", "{}\n");
  dir.write("run/jobs/finetune-e2/record.json", "{}\n");
  dir.write("run/heartbeat/rank-0.json", "{}\n");
  dir.write("run/shard-0-of-2/results.csv", "x\n");
  dir.write("run/report.md", "# r\n");
  dir.write("run/learning_curves.png", "png");
  dir.write("run/.results.csv.tmp.a1b2c3", "half");
  dir.write("run/embeddings.h5", "cache");
}

}  // namespace

TEST(RunDir, BertgridNamesAndTheUsersOwn) {
  for (const char* name :
       {"config.toml", "results.csv", "results.json", "history.csv", "manifest.json", "jobs",
        "heartbeat", "shard-3-of-16", "embeddings.h5", "report.md", "embeddings_pca.png",
        ".bertgrid.lock", ".bertgrid-run", ".manifest.json.tmp.Xy12", ".embeddings.h5.tmp.1"})
    EXPECT_TRUE(grid::is_bertgrid_name(name)) << name;
  for (const char* name : {"notes.md", "important", "shard-a-of-2", "jobs2", ".notes.md.tmp.1",
                           "config.toml.bak", ".tmp.", "results"})
    EXPECT_FALSE(grid::is_bertgrid_name(name)) << name;
}

TEST(RunDir, UsersFilesSurviveTwoForcedRuns) {
  TempDir dir;
  const std::string run = dir / "run";
  EXPECT_TRUE(grid::prepare_run_dir(run, config(), false, false).empty());
  EXPECT_TRUE(fs::exists(run + "/.bertgrid-run"));
  dir.write("run/notes.md", "x\n");
  dir.write("run/important/data.txt", "keep\n");
  for (int round = 0; round < 2; ++round) {
    fake_run_outputs(dir);
    const auto notes = grid::prepare_run_dir(run, config(), false, true);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0], run + ": kept 2 entries that bertgrid did not make: important/, notes.md");
    EXPECT_EQ(read_file(run + "/notes.md"), "x\n");
    EXPECT_EQ(read_file(run + "/important/data.txt"), "keep\n");
    EXPECT_EQ(read_file(run + "/embeddings.h5"), "cache");  // the cache stays
    for (const char* gone :
         {"results.csv", "results.json", "history.csv", "manifest.json", "jobs", "heartbeat",
          "shard-0-of-2", "report.md", "learning_curves.png", ".results.csv.tmp.a1b2c3"})
      EXPECT_FALSE(fs::exists(run + "/" + gone)) << gone;
    EXPECT_TRUE(fs::exists(run + "/config.toml"));
    EXPECT_TRUE(fs::exists(run + "/.bertgrid-run"));
  }
}

TEST(RunDir, AFolderOfTheUsersOwnIsRefusedUntouched) {
  TempDir dir;
  dir.write("mine/notes.md", "x\n");
  dir.write("mine/results.csv", "my own results\n");
  dir.write("mine/config.toml", "my own config\n");
  for (const bool force : {false, true}) {
    EXPECT_EQ(error_of([&] { grid::prepare_run_dir(dir / "mine", config(), false, force); }),
              dir / "mine" +
                  " is not a bertgrid run directory (no .bertgrid-run) and holds entries bertgrid "
                  "did not make: notes.md; nothing was changed: choose another --out");
  }
  EXPECT_EQ(read_file(dir / "mine/results.csv"), "my own results\n");
  EXPECT_EQ(read_file(dir / "mine/config.toml"), "my own config\n");
  EXPECT_FALSE(fs::exists(dir / "mine/.bertgrid-run"));
}

TEST(RunDir, UnmarkedFolderOfBertgridNamesIsTaken) {
  TempDir dir;
  dir.write("seeded/embeddings.h5", "cache");  // a pre-seeded cache
  EXPECT_TRUE(grid::prepare_run_dir(dir / "seeded", config(), false, false).empty());
  EXPECT_EQ(read_file(dir / "seeded/embeddings.h5"), "cache");
  EXPECT_TRUE(fs::exists(dir / "seeded/.bertgrid-run"));
  // A run made before the marker: replaced with --force.
  dir.write("old/config.toml", config().text);
  dir.write("old/results.csv", "x\n");
  EXPECT_NE(error_of([&] {
              grid::prepare_run_dir(dir / "old", config(), false, false);
            }).find("already holds a run"),
            std::string::npos);
  grid::prepare_run_dir(dir / "old", config(), false, true);
  EXPECT_FALSE(fs::exists(dir / "old/results.csv"));
}

TEST(RunDir, ResumeNeedsTheSameConfig) {
  TempDir dir;
  const std::string run = dir / "run";
  grid::prepare_run_dir(run, config(), false, false);
  dir.write("run/jobs/a/record.json", "{}\n");
  grid::prepare_run_dir(run, config(), true, false);
  EXPECT_TRUE(fs::exists(run + "/jobs/a/record.json"));
  const std::string err =
      error_of([&] { grid::prepare_run_dir(run, config("1e-3"), true, false); });
  EXPECT_NE(err.find("was run with a different config"), std::string::npos) << err;
}
