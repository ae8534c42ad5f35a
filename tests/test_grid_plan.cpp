#include <gtest/gtest.h>

#include <set>

#include "core/config.h"
#include "grid/plan.h"

using namespace bertgrid;

namespace {

RunConfig config(const std::string& extra) {
  return parse_run_config("name = \"g\"\n[model]\ninit = \"random\"\nvocab = \"v.txt\"\n" + extra,
                          "g.toml");
}

}  // namespace

TEST(GridPlan, ThePapersGridHasThreeFinetunesAndFiveHeads) {
  auto jobs = grid::expand_grid(config(""));
  ASSERT_EQ(jobs.size(), 8u);
  EXPECT_EQ(jobs[0].kind, JobKind::kFinetune);
  EXPECT_EQ(jobs[0].epochs, 2);
  EXPECT_EQ(jobs[2].epochs, 4);
  EXPECT_EQ(jobs[3].kind, JobKind::kHead);
  EXPECT_EQ(jobs[3].strategy, "CLS");
  EXPECT_EQ(jobs[7].strategy, "LAST2_MAX");
  std::set<std::string> ids;
  for (const auto& j : jobs) ids.insert(j.job_id);
  EXPECT_EQ(ids.size(), jobs.size());
}

TEST(GridPlan, ListsMultiplyOut) {
  auto jobs = grid::expand_grid(config(
      "[finetune]\nepochs = [2, 3]\nbatch_size = [16, 32]\nlearning_rate = [5e-5, 3e-5, 2e-5]\n"
      "init_seed = [1, 2]\n[embeddings]\nenabled = false\n"));
  EXPECT_EQ(jobs.size(), 2u * 2 * 3 * 2);
  std::set<std::string> ids;
  for (const auto& j : jobs) ids.insert(j.job_id);
  EXPECT_EQ(ids.size(), jobs.size());
}

TEST(GridPlan, LongestFirstToTheLeastLoadedGroup) {
  auto jobs = grid::expand_grid(config(""));  // fine-tunes of 2, 3, 4 epochs, five heads
  auto g2 = grid::assign_groups(jobs, 2);
  // 4 epochs -> group 0, 3 -> group 1, 2 -> group 1 (load 3 < 4); the loads are then 4 and 5,
  // so every head (0.02 each) goes to group 0.
  EXPECT_EQ(g2[2], 0);
  EXPECT_EQ(g2[1], 1);
  EXPECT_EQ(g2[0], 1);
  for (size_t i = 3; i < jobs.size(); ++i) EXPECT_EQ(g2[i], 0) << i;
  auto g1 = grid::assign_groups(jobs, 1);
  for (int g : g1) EXPECT_EQ(g, 0);
  auto g8 = grid::assign_groups(jobs, 8);
  EXPECT_EQ(std::set<int>(g8.begin(), g8.end()).size(), 8u);
}
