// CUDA graphs of the training step (run.cuda_graphs): unavailable and refused on the CPU; on a
// GPU (skipped elsewhere), a graphed trainer follows the eager one step for step on a DistilBERT
// with variable-length batches, one graph per batch shape.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "model/distilbert.h"
#include "train/adamw.h"
#include "train/batching.h"
#include "train/step_graphs.h"
#include "train/trainer.h"

namespace {

using namespace bertgrid;
using namespace bertgrid::train;
using namespace bertgrid::text;

// Token batches of a small DistilBERT, padded to a multiple of 8 (inputs: ids, mask, labels).
class TokenTask : public TrainingTask {
 public:
  TokenTask(model::DistilBertForSequenceClassification m, std::vector<std::vector<int64_t>> ids,
            std::vector<int64_t> labels)
      : model_(std::move(m)), ids_(std::move(ids)), labels_(std::move(labels)) {}
  torch::nn::Module& module() override { return *model_; }
  int64_t num_train() const override { return static_cast<int64_t>(labels_.size()); }
  TaskInputs inputs(const std::vector<int64_t>& rows) override {
    auto b = pad_batch(ids_, labels_, rows, 0, torch::kCPU, PadTo{8, 64});
    return {b.input_ids, b.attention_mask, b.labels};
  }
  torch::Tensor loss_sum(const TaskInputs& in) override {
    return torch::nn::functional::cross_entropy(
        model_->forward(in.at(0), in.at(1)), in.at(2),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  model::DistilBertForSequenceClassification model_;
  std::vector<std::vector<int64_t>> ids_;
  std::vector<int64_t> labels_;
};

model::DistilBertConfig small_config() {
  model::DistilBertConfig c;
  c.vocab_size = 100;
  c.max_position_embeddings = 64;
  c.dim = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.hidden_dim = 64;
  c.dropout = c.attention_dropout = c.seq_classif_dropout = 0;  // no draws: runs comparable
  return c;
}

struct TrainedRun {
  std::vector<double> losses;
  torch::Tensor params;
  size_t graphs = 0;
  bool update_graphed = false;
};

// 40 sentences of 3..40 tokens.
std::vector<std::vector<int64_t>> sentences() {
  std::vector<std::vector<int64_t>> ids;
  for (int64_t i = 0; i < 40; ++i) {
    const int64_t length = 3 + (i * 7) % 38;
    std::vector<int64_t> seq;
    for (int64_t t = 0; t < length; ++t) seq.push_back(1 + (i * 13 + t * 5) % 99);
    ids.push_back(seq);
  }
  return ids;
}

TrainerSettings small_settings() {
  TrainerSettings s;
  s.epochs = 3;
  s.batch_size = 16;  // 16, 16 and 8 rows an epoch
  s.learning_rate = 1e-3;
  s.warmup_steps = 2;
  s.logging_steps = 1;
  return s;
}

// The distinct (rows, padded length) shapes of the run's batches, from the trainer's own order.
size_t distinct_shapes() {
  const auto ids = sentences();
  const auto s = small_settings();
  std::set<std::pair<size_t, int64_t>> shapes;
  for (int64_t epoch = 0; epoch < s.epochs; ++epoch)
    for (const auto& batch : make_batches(epoch_permutation(s.data_seed, epoch, 40), 16)) {
      int64_t longest = 0;
      for (int64_t row : batch)
        longest = std::max(longest, static_cast<int64_t>(ids[static_cast<size_t>(row)].size()));
      shapes.insert({batch.size(), padded_length(longest, PadTo{8, 64})});
    }
  return shapes.size();
}

TrainedRun train_small(torch::Device device, bool graphs, bool bf16, bool fused = false) {
  torch::manual_seed(3);
  model::DistilBertForSequenceClassification m(small_config());
  model::init_weights(*m, small_config(), 3);
  m->to(device);
  const auto ids = sentences();
  std::vector<int64_t> labels;
  for (const auto& seq : ids) labels.push_back(seq[1] % 2);
  TokenTask task(m, ids, labels);
  TrainerSettings s = small_settings();
  s.exec.device = device;
  s.exec.cuda_graphs = graphs;
  s.exec.bf16 = bf16;
  s.exec.fused_adamw = fused;
  Trainer trainer(task, s);
  TrainedRun run;
  // Each step's loss, read back after it (sync).
  trainer.run(nullptr, nullptr,
              [&](const StepResult&) { run.losses.push_back(trainer.sync().loss); });
  run.params = trainer.flat().params().to(torch::kCPU).clone();
  run.graphs = trainer.graphs_captured();
  run.update_graphed = trainer.update_graphed();
  return run;
}

bool gpu_graphs() {
  return StepGraphs::available() && torch::cuda::is_available();
}

TEST(StepGraphs, AvailableOnlyWithLibtorchCuda) {
#ifdef BERTGRID_TORCH_CUDA
  EXPECT_TRUE(StepGraphs::available());
#else
  EXPECT_FALSE(StepGraphs::available());
#endif
}

TEST(StepGraphs, RefusedOnTheCpuWithTheSwitchNamed) {
  try {
    train_small(torch::kCPU, /*graphs=*/true, false);
    FAIL() << "a CPU trainer accepted CUDA graphs";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run.cuda_graphs"), std::string::npos) << e.what();
  }
}

// Padded to a multiple of 8, the run's batches come in a few shapes; each is captured once.
// Without dropout the graphed run computes what the eager one does, on the same kernels; what
// may differ is the order of atomic additions in some backward kernels, which AdamW can amplify
// for near-zero gradients to a few updates of lr (1e-3). Tolerances: losses 1e-4 relative plus
// 1e-5, weights 2e-3 absolute. A graph replaying stale inputs, or a backward that did not reach
// the flat gradients, misses these by orders of magnitude.
TEST(StepGraphs, GraphedTrainingFollowsTheEagerRun) {
  if (!gpu_graphs()) GTEST_SKIP() << "needs libtorch with CUDA and a GPU";
  const TrainedRun eager = train_small(torch::kCUDA, false, false);
  const TrainedRun graphed = train_small(torch::kCUDA, true, false);
  ASSERT_EQ(graphed.losses.size(), 9u);
  ASSERT_EQ(eager.losses.size(), graphed.losses.size());
  for (size_t i = 0; i < eager.losses.size(); ++i)
    EXPECT_NEAR(graphed.losses[i], eager.losses[i], 1e-4 * std::abs(eager.losses[i]) + 1e-5)
        << "step " << i + 1;
  EXPECT_LT((graphed.params - eager.params).abs().max().item<double>(), 2e-3);
  EXPECT_EQ(eager.graphs, 0u);
  EXPECT_EQ(graphed.graphs, distinct_shapes());
  EXPECT_NE(eager.losses.back(), eager.losses.front()) << "the weights did not move";
}

// With fused AdamW taking the rate as a tensor, the whole step is graphed: zeroing, forward and
// backward per shape, then clipping, the step status and the update as one more graph. It
// follows the eager fused run within the tolerances above.
TEST(StepGraphs, WholeStepGraphFollowsTheEagerFusedRun) {
  if (!gpu_graphs() || !AdamW::device_step_available())
    GTEST_SKIP() << "needs libtorch >= 2.3 with CUDA and a GPU";
  const TrainedRun eager = train_small(torch::kCUDA, false, false, /*fused=*/true);
  const TrainedRun graphed = train_small(torch::kCUDA, true, false, /*fused=*/true);
  EXPECT_TRUE(graphed.update_graphed);
  EXPECT_FALSE(eager.update_graphed);
  ASSERT_EQ(eager.losses.size(), graphed.losses.size());
  for (size_t i = 0; i < eager.losses.size(); ++i)
    EXPECT_NEAR(graphed.losses[i], eager.losses[i], 1e-4 * std::abs(eager.losses[i]) + 1e-5)
        << "step " << i + 1;
  EXPECT_LT((graphed.params - eager.params).abs().max().item<double>(), 2e-3);
  EXPECT_NE(eager.losses.back(), eager.losses.front()) << "the weights did not move";
}

// bf16 autocast inside the capture: the graphed bf16 run follows the eager bf16 run.
TEST(StepGraphs, GraphedBf16FollowsTheEagerBf16Run) {
  if (!gpu_graphs()) GTEST_SKIP() << "needs libtorch with CUDA and a GPU";
  const TrainedRun eager = train_small(torch::kCUDA, false, true);
  const TrainedRun graphed = train_small(torch::kCUDA, true, true);
  ASSERT_EQ(eager.losses.size(), graphed.losses.size());
  for (size_t i = 0; i < eager.losses.size(); ++i)
    EXPECT_NEAR(graphed.losses[i], eager.losses[i], 5e-3) << "step " << i + 1;
}

}  // namespace
