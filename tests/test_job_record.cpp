#include <gtest/gtest.h>

#include <cmath>

#include "io/job_record.h"

using bertgrid::JobRecord;

namespace {

JobRecord sample() {
  JobRecord r;
  r.job_id = "finetune-e2-s42";
  r.kind = "finetune";
  r.epochs = 2;
  r.init_seed = 42;
  r.data_seed = 7;
  r.batch_size = 16;
  r.learning_rate = 5e-5;
  r.weight_decay = 0.01;
  r.warmup_steps = 11;
  r.eval_loss = 0.438262;
  r.eval_accHate = 0.807531;
  r.eval_accNoHate = 0.83682;
  r.eval_accAll = 0.822176;
  r.eval_train_loss = 0.150157;
  r.train_seconds = 12.5;
  r.status = "failed";
  r.error = "loss is NaN at step 3, \"epoch\" 1";
  r.confusion = {{{200, 39}, {46, 193}}};
  return r;
}

}  // namespace

TEST(JobRecord, CsvRowQuotesAndLeavesMissingValuesEmpty) {
  std::string row = bertgrid::job_record_csv_row(sample());
  EXPECT_EQ(
      row,
      "finetune-e2-s42,finetune,2,,42,7,16,5e-05,0.01,11,0.438262,0.807531,"
      "0.83682,0.822176,0,0,0,0.150157,,,12.5,failed,\"loss is NaN at step 3, \"\"epoch\"\" 1\"");
  // Same number of columns as the header.
  auto columns = [](const std::string& s) {
    size_t n = 1;
    bool quoted = false;
    for (char c : s) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) ++n;
    }
    return n;
  };
  EXPECT_EQ(columns(row), columns(bertgrid::job_record_csv_header()));
  EXPECT_EQ(columns(bertgrid::job_record_csv_header()), 23u);
}

TEST(JobRecord, JsonRoundTrip) {
  JobRecord r = sample();
  r.val_loss = 0.5;
  r.eval_f1_hate = std::nan("");
  auto j = bertgrid::to_json(r);
  EXPECT_TRUE(j.at("eval_f1_hate").is_null());
  EXPECT_EQ(j.at("confusion")[1][0], 46);
  JobRecord back = bertgrid::job_record_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.job_id, r.job_id);
  EXPECT_EQ(back.learning_rate, r.learning_rate);
  EXPECT_EQ(back.val_loss, std::optional<double>(0.5));
  EXPECT_FALSE(back.val_accAll.has_value());
  EXPECT_TRUE(std::isnan(back.eval_f1_hate));
  EXPECT_EQ(back.confusion, r.confusion);
  EXPECT_EQ(back.error, r.error);
}
