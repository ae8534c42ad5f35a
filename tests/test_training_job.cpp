// The training-job driver (jobs/training_job.h) on the smallest task, a linear model over fixed
// features: the test split is evaluated once per epoch and not again at the end, and the record
// holds exactly what an evaluation of the final weights gives.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/config.h"
#include "jobs/training_job.h"
#include "tests/support.h"
#include "train/evaluate.h"

namespace bertgrid::testing {
namespace {

class LinearTask : public train::TrainingTask {
 public:
  LinearTask(torch::Tensor x, torch::Tensor y) : x_(std::move(x)), y_(std::move(y)) {}
  torch::nn::Module& module() override { return *linear_; }
  int64_t num_train() const override { return y_.size(0); }
  train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    return {torch::tensor(rows, torch::kInt64)};
  }
  torch::Tensor loss_sum(const train::TaskInputs& in) override {
    return torch::nn::functional::cross_entropy(
        linear_->forward(x_.index_select(0, in.at(0))), y_.index_select(0, in.at(0)),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }
  torch::Tensor logits(const std::vector<int64_t>& rows) {
    return linear_->forward(x_.index_select(0, torch::tensor(rows, torch::kInt64)));
  }

 private:
  torch::Tensor x_, y_;
  torch::nn::Linear linear_{4, 2};
};

// The task's rows as an evaluation split whose logits count the batches they are asked for.
jobs::EvalSplit split_of(LinearTask& task, const torch::Tensor& y, int* batches) {
  jobs::EvalSplit s;
  s.name = "test";
  for (int64_t i = 0; i < y.size(0); ++i) {
    s.labels.push_back(y[i].item<int64_t>());
    s.file_ids.push_back("f" + std::to_string(i));
  }
  s.logits = [&task, batches](const std::vector<int64_t>& rows) {
    ++*batches;
    return task.logits(rows);
  };
  return s;
}

TEST(TrainingJob, TheLastEpochsEvaluationIsTheFinalOne) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({40, 4});
  const torch::Tensor y = (x.select(1, 0) > 0).to(torch::kInt64);
  LinearTask task(x, y);
  int train_batches = 0, test_batches = 0;
  jobs::TrainingJobParts parts;
  parts.task = &task;
  parts.train = split_of(task, y, &train_batches);
  parts.test = split_of(task, y, &test_batches);

  TempDir dir;
  RunConfig cfg;
  jobs::JobEnv env;
  env.config = &cfg;
  env.job_dir = dir / "job";
  jobs::JobSpec spec;
  spec.epochs = 3;
  spec.batch_size = 8;
  spec.eval_batch_size = 16;  // 3 batches per pass over 40 rows
  spec.learning_rate = 0.1;
  const auto outcome = jobs::run_training_job(spec, env, parts);

  EXPECT_EQ(test_batches, 3 * 3);  // one pass per epoch, none after the last
  EXPECT_EQ(train_batches, 3);     // the train split once, at the end
  ASSERT_EQ(outcome.history.back().kind, HistoryKind::kEval);
  EXPECT_EQ(outcome.record.eval_loss, outcome.history.back().loss);
  const auto again = train::evaluate(parts.test.logits, parts.test.labels, {}, 16);
  EXPECT_EQ(outcome.record.eval_loss, again.loss);
  EXPECT_EQ(outcome.record.eval_accAll, again.metrics.acc_all);
  EXPECT_EQ(outcome.record.confusion, again.metrics.confusion);
  EXPECT_GT(outcome.evaluation_seconds, 0);
  EXPECT_GT(outcome.outputs_seconds, 0);
}

}  // namespace
}  // namespace bertgrid::testing
