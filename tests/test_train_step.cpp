// The optimiser path of one training step put together (flat grads -> clip -> AdamW at the
// scheduled lr), against the same loop written with libtorch's own clip_grad_norm_ and AdamW.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "train/adamw.h"
#include "train/clip.h"
#include "train/flat_params.h"
#include "train/schedule.h"

namespace {

using namespace bertgrid::train;

struct NetImpl : torch::nn::Module {
  NetImpl() {
    emb = register_module("embeddings", torch::nn::Linear(5, 12));
    norm =
        register_module("sa_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({12})));
    classifier = register_module("classifier", torch::nn::Linear(12, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) { return classifier(torch::relu(norm(emb(x)))); }
  torch::nn::Linear emb{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(Net);

// Tolerances: grad norm 1e-6 relative, parameters 1e-6 absolute (libtorch 1.13's AdamW and
// norm differ from the PyTorch 2.x arithmetic we follow by float32 ulps).
TEST(TrainStep, FlatLoopMatchesLibtorchLoopWithClippingDecayAndSchedule) {
  torch::manual_seed(7);
  Net ours;
  Net ref;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < ref->parameters().size(); ++i) {
      ours->parameters()[i].add_(0.1);  // LayerNorm weight away from 1 so decay would show
      ref->parameters()[i].copy_(ours->parameters()[i]);
    }
  }
  const double wd = 1.0;
  const double max_norm = 0.05;
  LinearSchedule schedule(1e-2, 1, 6);
  FlatParams flat(*ours);
  AdamW opt(flat.params(), flat.grads(), flat.decay_mask(), AdamWOptions{0.9, 0.999, 1e-8, wd});

  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{ref->emb->weight, ref->classifier->weight},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(0.0).weight_decay(wd)));
  groups.emplace_back(std::vector<torch::Tensor>{ref->emb->bias, ref->norm->weight, ref->norm->bias,
                                                 ref->classifier->bias},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(0.0).weight_decay(0.0)));
  torch::optim::AdamW ref_opt(std::move(groups));

  const std::vector<torch::Tensor> xs = {torch::randn({4, 5}), torch::randn({4, 5})};
  const std::vector<torch::Tensor> ys = {torch::tensor({0, 1, 1, 0}, torch::kInt64),
                                         torch::tensor({1, 1, 0, 0}, torch::kInt64)};
  int clipped = 0;
  for (int64_t step = 0; step < 6; ++step) {
    const auto& x = xs[static_cast<size_t>(step % 2)];
    const auto& y = ys[static_cast<size_t>(step % 2)];
    flat.zero_grad();
    for (auto& p : ref->parameters()) p.mutable_grad() = torch::Tensor();
    torch::nn::functional::cross_entropy(ours->forward(x), y).backward();
    torch::nn::functional::cross_entropy(ref->forward(x), y).backward();
    flat.check_views();

    const float norm = clip_grad_norm(flat, max_norm);
    const double ref_norm = torch::nn::utils::clip_grad_norm_(ref->parameters(), max_norm);
    EXPECT_NEAR(norm, ref_norm, 1e-6 * ref_norm) << "step " << step;
    if (ref_norm > max_norm) ++clipped;

    const double lr = schedule.lr(step);
    opt.step(lr);
    for (auto& group : ref_opt.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    ref_opt.step();
    const auto got = flat.parameters();
    const auto want = ref->parameters();
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_LE((got[i] - want[i]).abs().max().item<double>(), 1e-6)
          << "step " << step << " " << flat.names()[i];
    }
  }
  EXPECT_GE(clipped, 1);  // the clip rule was exercised
  EXPECT_EQ(opt.state().step, 6);
}

}  // namespace
