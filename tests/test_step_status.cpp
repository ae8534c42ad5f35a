// The training step's status kept on the device (train/step_status.h) and read by Trainer::sync:
// a bad step (a non-finite loss, a non-finite gradient, an exception) does not stop step(); the
// next sync names the first bad one, and every update after it was skipped.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <stdexcept>

#include "train/trainer.h"

namespace bertgrid::train {
namespace {

// A linear model on fixed features whose loss can be made bad at one step: NaN loss, a
// gradient that is not finite under a finite loss, or an exception.
class ToyTask : public TrainingTask {
 public:
  enum class Fault { kNone, kNanLoss, kBadGradient, kThrow };
  ToyTask(Fault fault, int64_t at) : fault_(fault), at_(at) {
    torch::manual_seed(5);
    x_ = torch::randn({32, 4});
    y_ = (x_.select(1, 0) > 0).to(torch::kInt64);
  }
  torch::nn::Module& module() override { return *linear_; }
  int64_t num_train() const override { return y_.size(0); }
  TaskInputs inputs(const std::vector<int64_t>& rows) override {
    return {torch::tensor(rows, torch::kInt64)};
  }
  torch::Tensor loss_sum(const TaskInputs& in) override {
    const int64_t step = calls_++;
    auto loss = torch::nn::functional::cross_entropy(
        linear_->forward(x_.index_select(0, in.at(0))), y_.index_select(0, in.at(0)),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    if (step != at_) return loss;
    switch (fault_) {
      case Fault::kNanLoss:
        return loss * std::numeric_limits<float>::quiet_NaN();
      case Fault::kBadGradient: {  // d/dw sqrt(|w - w|) at 0: not finite; the value is 0
        const auto w = linear_->weight;
        return loss + (w - w.detach()).abs().sqrt().sum();
      }
      case Fault::kThrow:
        throw std::runtime_error("the task broke");
      case Fault::kNone:
        break;
    }
    return loss;
  }
  int64_t calls() const { return calls_; }

 private:
  Fault fault_;
  int64_t at_;
  int64_t calls_ = 0;
  torch::Tensor x_, y_;
  torch::nn::Linear linear_{4, 2};
};

TrainerSettings settings() {
  TrainerSettings s;
  s.batch_size = 4;
  s.learning_rate = 0.1;
  s.logging_steps = 10;
  return s;
}

std::vector<int64_t> batch(int64_t step) {
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < 4; ++i) rows.push_back((4 * step + i) % 32);
  return rows;
}

// Runs 6 steps (the fault at step 3), then syncs: the message it throws and the params after
// the steps against those after step 2 (the last good one).
struct Outcome {
  std::string message;
  StepFailed::Cause cause = StepFailed::Cause::kRemote;
  bool params_as_after_step_2 = false;
  int64_t task_calls = 0;
};

Outcome run_with(ToyTask::Fault fault) {
  ToyTask task(fault, 3);
  Trainer trainer(task, settings());
  torch::Tensor after_step_2;
  for (int64_t s = 0; s < 6; ++s) {
    EXPECT_NO_THROW(trainer.step(batch(s))) << s;  // nothing is read back here
    if (s == 2) after_step_2 = trainer.flat().params().clone();
  }
  Outcome out;
  try {
    trainer.sync();
  } catch (const StepFailed& e) {
    out.message = e.what();
    out.cause = e.cause();
  }
  out.params_as_after_step_2 = torch::equal(trainer.flat().params(), after_step_2);
  out.task_calls = task.calls();
  return out;
}

TEST(StepStatus, NanLossIsReportedAtSyncWithItsStepAndLaterUpdatesAreSkipped) {
  const Outcome o = run_with(ToyTask::Fault::kNanLoss);
  EXPECT_EQ(o.message, "step 3: loss is NaN");
  EXPECT_EQ(o.cause, StepFailed::Cause::kLocal);
  EXPECT_TRUE(o.params_as_after_step_2);
}

TEST(StepStatus, NonFiniteGradientUnderAFiniteLossIsABadStep) {
  const Outcome o = run_with(ToyTask::Fault::kBadGradient);
  EXPECT_EQ(o.message.rfind("step 3: the gradient is not finite (norm ", 0), 0u) << o.message;
  EXPECT_TRUE(o.params_as_after_step_2);
}

TEST(StepStatus, AnExceptionIsKeptForSyncAndTheRankStopsComputing) {
  const Outcome o = run_with(ToyTask::Fault::kThrow);
  EXPECT_EQ(o.message, "step 3: the task broke");
  EXPECT_EQ(o.cause, StepFailed::Cause::kLocal);
  EXPECT_TRUE(o.params_as_after_step_2);
  EXPECT_EQ(o.task_calls, 4);  // steps 0-3: none after the failure
}

TEST(StepStatus, SyncGivesTheLastStepsLossAndAddsThePendingOnes) {
  ToyTask task(ToyTask::Fault::kNone, -1);
  Trainer trainer(task, settings());
  trainer.step(batch(0));
  const StepResult first = trainer.step(batch(1));
  EXPECT_TRUE(std::isnan(first.loss));  // not read back yet
  const StepResult synced = trainer.sync();
  EXPECT_TRUE(std::isfinite(synced.loss));
  EXPECT_GT(synced.grad_norm, 0);
  EXPECT_EQ(synced.lr, first.lr);
  EXPECT_GT(trainer.position().loss_since_log, synced.loss);  // two steps' losses
  EXPECT_EQ(trainer.sync().loss, synced.loss);                // nothing pending: the same
}

TEST(StepStatus, RunSyncsAtLoggingStepsAndEpochEnds) {
  ToyTask task(ToyTask::Fault::kNanLoss, 12);
  TrainerSettings s = settings();
  s.epochs = 2;  // 8 steps an epoch
  Trainer trainer(task, s);
  int64_t epochs_ended = 0;
  try {
    trainer.run(nullptr, [&](int64_t) { ++epochs_ended; });
    FAIL() << "the NaN at step 12 went unnoticed";
  } catch (const StepFailed& e) {
    EXPECT_EQ(std::string(e.what()), "step 12: loss is NaN");
  }
  EXPECT_EQ(epochs_ended, 1);
  EXPECT_EQ(trainer.position().step, 16);   // found at the second epoch's end, before its callback
  ASSERT_EQ(trainer.history().size(), 1u);  // the step-10 entry, from good steps
  EXPECT_TRUE(std::isfinite(trainer.history()[0].loss));
}

}  // namespace
}  // namespace bertgrid::train
