#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "io/job_record.h"
#include "tests/support.h"

using bertgrid::JobKind;
using bertgrid::JobRecord;
using bertgrid::JobStatus;

namespace {

JobRecord sample() {
  JobRecord r;
  r.job_id = "finetune-e2-s42";
  r.kind = JobKind::kFinetune;
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
  r.status = JobStatus::kFailed;
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

// The JSON form, byte for byte as results.json and record.json hold it (keys sorted; NaN metrics
// and missing optionals null; `confusion` beside the columns).
TEST(JobRecord, JsonBytesAreTheRecordFilesOwn) {
  JobRecord r = sample();
  r.eval_f1_hate = std::nan("");
  r.val_accAll = 0.75;
  EXPECT_EQ(bertgrid::to_json(r).dump(),
            "{\"batch_size\":16,\"confusion\":[[200,39],[46,193]],\"data_seed\":7,\"epochs\":2,"
            "\"error\":\"loss is NaN at step 3, \\\"epoch\\\" 1\",\"eval_accAll\":0.822176,"
            "\"eval_accHate\":0.807531,\"eval_accNoHate\":0.83682,\"eval_f1_hate\":null,"
            "\"eval_loss\":0.438262,\"eval_precision_hate\":0.0,\"eval_recall_hate\":0.0,"
            "\"eval_train_loss\":0.150157,\"init_seed\":42,\"job_id\":\"finetune-e2-s42\","
            "\"kind\":\"finetune\",\"learning_rate\":5e-05,\"status\":\"failed\",\"strategy\":\"\","
            "\"train_seconds\":12.5,\"val_accAll\":0.75,\"val_loss\":null,\"warmup_steps\":11,"
            "\"weight_decay\":0.01}");
}

// The CSV and JSON forms come from one table: the same columns, in the CSV's order.
TEST(JobRecord, CsvAndJsonHaveTheSameColumns) {
  const auto j = bertgrid::to_json(sample());
  std::string header = bertgrid::job_record_csv_header();
  size_t columns = 0;
  for (size_t start = 0; start <= header.size(); ++columns) {
    const auto comma = std::min(header.find(',', start), header.size());
    EXPECT_TRUE(j.contains(header.substr(start, comma - start)))
        << header.substr(start, comma - start);
    start = comma + 1;
  }
  EXPECT_EQ(columns + 1, j.size());  // and confusion, JSON only
}

TEST(JobRecord, MissingKeyIsNamed) {
  auto j = bertgrid::to_json(sample());
  j.erase("warmup_steps");
  try {
    bertgrid::job_record_from_json(j);
    FAIL() << "no error";
  } catch (const bertgrid::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("job record: key 'warmup_steps': ", 0), 0u) << e.what();
  }
  // An optional metric may be missing.
  j = bertgrid::to_json(sample());
  j.erase("val_loss");
  EXPECT_FALSE(bertgrid::job_record_from_json(j).val_loss.has_value());
}

// Kind and status are typed: their names are read back, and an unknown one is named with its key.
TEST(JobRecord, KindAndStatusReadBackByName) {
  auto j = bertgrid::to_json(sample());
  j["kind"] = "head";
  j["status"] = "stopped";
  const JobRecord back = bertgrid::job_record_from_json(j);
  EXPECT_EQ(back.kind, JobKind::kHead);
  EXPECT_EQ(back.status, JobStatus::kStopped);
  j["status"] = "done";
  EXPECT_EQ(bertgrid::testing::error_of([&] { bertgrid::job_record_from_json(j); }),
            "job record: key 'status': unknown job status \"done\" (must be \"pending\", \"ok\", "
            "\"failed\" or \"stopped\")");
}
