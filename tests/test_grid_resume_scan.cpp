// The resume scan: finished jobs are kept; damaged job files (a truncated record.json, a record
// missing a key, a bad history row, a missing history.csv) make their job run again, each with a
// warning naming the file (and the line for history.csv), and nothing throws.
#include <gtest/gtest.h>

#include "grid/resume_scan.h"
#include "jobs/job.h"
#include "tests/support.h"
#include "train/history_csv.h"

namespace bertgrid::testing {
namespace {

jobs::JobSpec spec(const std::string& id) {
  jobs::JobSpec s;
  s.job_id = id;
  s.kind = JobKind::kFinetune;
  return s;
}

// A finished job's files under dir/jobs/<id>.
void write_finished(const TempDir& dir, const std::string& id) {
  JobRecord r = jobs::record_header(spec(id), 96);
  r.status = JobStatus::kOk;
  r.eval_loss = 0.5;
  dir.write("run/jobs/" + id + "/record.json", to_json(r).dump(1) + "\n");
  dir.write("run/jobs/" + id + "/history.csv",
            train::job_history_csv({{HistoryKind::kTrain, 10, 0.5, 0.69, 1e-5, 1},
                                    {HistoryKind::kEval, 12, 1, 0.6, 0, 0}}));
}

TEST(GridResumeScan, KeepsFinishedJobsAndRerunsDamagedOnesWithAWarning) {
  TempDir dir;
  const std::vector<std::string> ids = {"ok",         "truncated", "missing-key", "bad-row",
                                        "no-history", "never-ran", "not-ok"};
  std::vector<jobs::JobSpec> jobs;
  for (const auto& id : ids) {
    jobs.push_back(spec(id));
    if (id != "never-ran") write_finished(dir, id);
  }
  const std::string run = dir / "run";
  const std::string record = read_file(run + "/jobs/truncated/record.json");
  dir.write("run/jobs/truncated/record.json", record.substr(0, record.size() / 2));
  auto j = nlohmann::json::parse(read_file(run + "/jobs/missing-key/record.json"));
  j.erase("eval_loss");
  dir.write("run/jobs/missing-key/record.json", j.dump(1));
  dir.write("run/jobs/bad-row/history.csv",
            "kind,step,epoch,loss,lr,grad_norm\ntrain,10,0.5,0.69,1e-05,1\neval,x,1,0.6,0,0\n");
  fs::remove(run + "/jobs/no-history/history.csv");
  j = nlohmann::json::parse(read_file(run + "/jobs/not-ok/record.json"));
  j["status"] = "failed";
  dir.write("run/jobs/not-ok/record.json", j.dump(1));

  const auto state = grid::scan_finished_jobs(run, jobs);
  EXPECT_EQ(state.finished, (std::vector<bool>{true, false, false, false, false, false, false}));
  ASSERT_EQ(state.earlier.size(), 1u);
  EXPECT_EQ(state.earlier[0].record.job_id, "ok");
  EXPECT_EQ(state.earlier[0].history.size(), 2u);
  EXPECT_EQ(state.earlier[0].placement, nlohmann::json({{"from_earlier_run", true}}));
  ASSERT_EQ(state.warnings.size(), 4u);
  const std::vector<std::string> expected = {
      run + "/jobs/truncated/record.json: not a complete JSON record",
      run + "/jobs/missing-key/record.json: job record: key 'eval_loss'",
      run + "/jobs/bad-row/history.csv:3: step 'x' is not an integer",
      run + "/jobs/no-history/history.csv: missing"};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(state.warnings[i].rfind(expected[i], 0), 0u) << state.warnings[i];
    EXPECT_NE(state.warnings[i].find("runs again"), std::string::npos) << state.warnings[i];
  }
  EXPECT_EQ(grid::finished_mask(state), "1000000");
}

TEST(GridResumeScan, TheMaskTravelsAsOneCharacterPerJob) {
  grid::ResumeState state = grid::nothing_finished(3);
  EXPECT_EQ(grid::finished_mask(state), "000");
  grid::set_finished_mask(state, "101");
  EXPECT_EQ(state.finished, (std::vector<bool>{true, false, true}));
}

}  // namespace
}  // namespace bertgrid::testing
