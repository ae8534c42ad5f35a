// bf16 autocast (run.precision = "bf16") through compat::AutocastScope and the trainer, on the
// CPU (the same scope drives CUDA autocast on the GPU machine), and Execution's device copies.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/torch_compat.h"
#include "train/execution.h"
#include "train/trainer.h"

namespace {

using bertgrid::compat::AutocastScope;
using namespace bertgrid::train;

TEST(Autocast, ScopeRunsMatmulsInBf16AndRestoresOnExit) {
  torch::manual_seed(1);
  torch::nn::Linear lin(8, 4);
  const auto x = torch::randn({3, 8});
  EXPECT_EQ(lin(x).scalar_type(), torch::kFloat32);
  {
    AutocastScope outer(torch::kCPU, true);
    EXPECT_EQ(lin(x).scalar_type(), torch::kBFloat16);
    {
      AutocastScope inner(torch::kCPU, true);
      EXPECT_EQ(lin(x).scalar_type(), torch::kBFloat16);
    }
    EXPECT_EQ(lin(x).scalar_type(), torch::kBFloat16) << "an inner scope switched it off";
  }
  EXPECT_EQ(lin(x).scalar_type(), torch::kFloat32);
  {
    AutocastScope off(torch::kCPU, false);
    EXPECT_EQ(lin(x).scalar_type(), torch::kFloat32);
  }
}

struct ToyImpl : torch::nn::Module {
  ToyImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(16, 32));
    fc2 = register_module("fc2", torch::nn::Linear(32, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::tanh(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Toy);

class ToyTask : public TrainingTask {
 public:
  ToyTask(Toy net, torch::Tensor x, torch::Tensor y) : net_(net), x_(x), y_(y) {}
  torch::nn::Module& module() override { return *net_; }
  int64_t num_train() const override { return x_.size(0); }
  TaskInputs inputs(const std::vector<int64_t>& rows) override {
    return {torch::tensor(rows, torch::kInt64)};
  }
  torch::Tensor loss_sum(const TaskInputs& in) override {
    const auto& index = in.at(0);
    return torch::nn::functional::cross_entropy(
        net_->forward(x_.index_select(0, index)), y_.index_select(0, index),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  Toy net_;
  torch::Tensor x_, y_;
};

std::vector<double> train_losses(bool bf16) {
  torch::manual_seed(4);
  Toy net;
  const auto x = torch::randn({64, 16});
  const auto y = (x.narrow(1, 0, 1).squeeze(1) > 0).to(torch::kInt64);  // learnable
  ToyTask task(net, x, y);
  TrainerSettings s;
  s.epochs = 4;
  s.batch_size = 16;
  s.learning_rate = 2e-2;
  s.warmup_steps = 0;
  s.logging_steps = 1;
  s.exec.bf16 = bf16;
  Trainer trainer(task, s);
  trainer.run();
  std::vector<double> losses;
  for (const auto& h : trainer.history()) losses.push_back(h.loss);
  return losses;
}

// The bf16 run follows the fp32 loss curve step by step (|d| <= 0.03 nats) while really being
// in bf16 (some step differs). The curve falls by more than 0.15 in both: a bf16 forward that
// kept using stale cached casts of the weights would not learn, and the gap would exceed that.
TEST(Autocast, Bf16TrainingFollowsTheFp32LossCurve) {
  const auto fp32 = train_losses(false);
  const auto bf16 = train_losses(true);
  ASSERT_EQ(fp32.size(), 16u);
  ASSERT_EQ(bf16.size(), fp32.size());
  double largest = 0;
  for (size_t i = 0; i < fp32.size(); ++i) {
    EXPECT_NEAR(bf16[i], fp32[i], 0.03) << "step " << i + 1;
    largest = std::max(largest, std::abs(bf16[i] - fp32[i]));
  }
  EXPECT_GT(largest, 0.0) << "bf16 losses equal fp32's bit for bit: autocast did nothing";
  EXPECT_LT(fp32.back(), fp32.front() - 0.15);
  EXPECT_LT(bf16.back(), bf16.front() - 0.15);
}

TEST(Execution, CpuCopiesAreTheTensorItself) {
  Execution exec;
  const auto t = torch::arange(6);
  EXPECT_TRUE(exec.to_device(t).is_same(t));
  exec.async_copies = false;
  EXPECT_TRUE(exec.to_device(t).is_same(t));
}

}  // namespace
