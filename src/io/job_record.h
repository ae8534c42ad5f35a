// The job record: one schema for every job's outcome, shared by the grid's results.csv and
// results.json, `bertgrid train`, and the analysis scripts. Column order is the CSV's.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/choices.h"

namespace bertgrid {

struct JobRecord {
  std::string job_id;
  JobKind kind = JobKind::kFinetune;
  int64_t epochs = 0;
  std::string strategy;  // the head's embedding strategy; empty for fine-tuning
  uint64_t init_seed = 0;
  uint64_t data_seed = 0;
  int64_t batch_size = 0;
  double learning_rate = 0;
  double weight_decay = 0;
  int64_t warmup_steps = 0;
  double eval_loss = 0;
  double eval_accHate = 0;    // recall on hate
  double eval_accNoHate = 0;  // recall on noHate
  double eval_accAll = 0;
  double eval_precision_hate = 0;
  double eval_recall_hate = 0;
  double eval_f1_hate = 0;
  double eval_train_loss = 0;
  std::optional<double> val_loss;  // only with a validation split
  std::optional<double> val_accAll;
  double train_seconds = 0;
  JobStatus status = JobStatus::kPending;
  std::string error;
  // Beside the record: test-set confusion matrix, rows true label, columns predicted (0 noHate, 1
  // hate).
  std::array<std::array<int64_t, 2>, 2> confusion{};
};

// CSV header line (no newline) and one row; fields are quoted where needed, missing values empty.
std::string job_record_csv_header();
std::string job_record_csv_row(const JobRecord& r);
std::string job_records_csv(const std::vector<JobRecord>& records);

nlohmann::json to_json(const JobRecord& r);
JobRecord job_record_from_json(const nlohmann::json& j);

}  // namespace bertgrid
