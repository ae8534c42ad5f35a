// Tests for train/adamw: against libtorch's torch::optim::AdamW and hand-computed updates.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "core/torch_compat.h"
#include "train/adamw.h"
#include "train/flat_params.h"

namespace {

using bertgrid::train::AdamW;
using bertgrid::train::AdamWOptions;
using bertgrid::train::FlatParams;

struct MlpImpl : torch::nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(6, 16));
    norm = register_module("LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({16})));
    fc2 = register_module("fc2", torch::nn::Linear(16, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::gelu(norm(fc1(x)))); }
  torch::nn::Linear fc1{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(Mlp);

// Tolerance against libtorch's AdamW: 1e-6 absolute on parameters. libtorch 1.13 updates the
// first moment as m*beta1 + (1-beta1)*g where PyTorch 2.x (and we) use lerp, an ulp apart.
constexpr double kTol = 1e-6;

TEST(AdamW, MatchesLibtorchAdamWWithTwoParamGroups) {
  torch::manual_seed(3);
  Mlp ours;
  Mlp ref;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < ref->parameters().size(); ++i) {
      ref->parameters()[i].copy_(ours->parameters()[i]);
    }
    // LayerNorm starts at 1/0; perturb so decay of its weight would show if applied.
    ours->norm->weight.add_(0.3);
    ref->norm->weight.add_(0.3);
  }
  const double wd = 0.5;
  FlatParams flat(*ours);
  AdamW opt(flat.params(), flat.grads(), flat.decay_mask(), AdamWOptions{0.9, 0.999, 1e-8, wd});

  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{ref->fc1->weight, ref->fc2->weight},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(0.0).weight_decay(wd)));
  groups.emplace_back(std::vector<torch::Tensor>{ref->fc1->bias, ref->norm->weight, ref->norm->bias,
                                                 ref->fc2->bias},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(0.0).weight_decay(0.0)));
  torch::optim::AdamW ref_opt(std::move(groups));

  const std::vector<double> lrs = {0.0, 5e-3, 1e-2, 8e-3, 6e-3, 4e-3, 2e-2, 1e-3, 3e-3, 0.0, 1e-2};
  auto x = torch::randn({8, 6});
  auto y = torch::randint(0, 3, {8}, torch::kInt64);
  const torch::Tensor start = flat.params().clone();
  for (size_t s = 0; s < lrs.size(); ++s) {
    flat.zero_grad();
    for (auto& p : ref->parameters()) p.mutable_grad() = torch::Tensor();
    torch::nn::functional::cross_entropy(ours->forward(x), y).backward();
    torch::nn::functional::cross_entropy(ref->forward(x), y).backward();
    flat.check_views();
    opt.step(lrs[s]);
    for (auto& group : ref_opt.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lrs[s]);
    }
    ref_opt.step();
    if (s == 0) {
      EXPECT_TRUE(torch::equal(flat.params(), start)) << "lr 0 must not move parameters";
    }
    const std::vector<torch::Tensor> got = flat.parameters();
    const std::vector<torch::Tensor> want = ref->parameters();
    for (size_t i = 0; i < got.size(); ++i) {
      const double diff = (got[i] - want[i]).abs().max().item<double>();
      EXPECT_LE(diff, kTol) << "step " << s << " param " << flat.names()[i];
    }
  }
  EXPECT_EQ(opt.state().step, static_cast<int64_t>(lrs.size()));
  EXPECT_GT((flat.params() - start).abs().max().item<double>(), 1e-3);
}

TEST(AdamW, FirstStepIsSignOfGradTimesLr) {
  // Step 1: m_hat = g, v_hat = g^2, so the update is -lr * g / (|g| + eps) with no decay.
  auto params = torch::tensor({1.0f, -2.0f, 0.5f});
  auto grads = torch::tensor({0.25f, -4.0f, 0.0f});
  AdamW opt(params, grads, torch::zeros({3}), AdamWOptions{});
  opt.step(0.1);
  EXPECT_NEAR(params[0].item<double>(), 1.0 - 0.1 * 0.25 / (0.25 + 1e-8), 1e-7);
  EXPECT_NEAR(params[1].item<double>(), -2.0 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-7);
  EXPECT_EQ(params[2].item<float>(), 0.5f);
  EXPECT_NEAR(opt.state().exp_avg[1].item<double>(), -0.4, 1e-7);
  EXPECT_NEAR(opt.state().exp_avg_sq[1].item<double>(), 0.016, 1e-9);
}

TEST(AdamW, DecayOnlyWhereMaskIsOneAndExactlyAsPyTorch) {
  // Zero grads: the Adam part is 0, so params change only by decay: p * float(1 - lr*wd).
  auto params = torch::tensor({1.5f, -0.75f, 3.0f, 0.1f});
  const torch::Tensor start = params.clone();
  auto grads = torch::zeros({4});
  auto mask = torch::tensor({1.0f, 0.0f, 1.0f, 0.0f});
  AdamW opt(params, grads, mask, AdamWOptions{0.9, 0.999, 1e-8, 0.01});
  opt.step(1e-3);
  const float keep = static_cast<float>(1.0 - 1e-3 * 0.01);
  EXPECT_EQ(params[0].item<float>(), 1.5f * keep);
  EXPECT_EQ(params[1].item<float>(), -0.75f);
  EXPECT_EQ(params[2].item<float>(), 3.0f * keep);
  EXPECT_EQ(params[3].item<float>(), 0.1f);
}

TEST(AdamW, ChunkedUpdateIsBitwiseTheWholeBufferOps) {
  // A buffer of several update chunks with a ragged end, a mask with runs and holes, three steps:
  // every value must be bit-for-bit what the same ops on the whole buffers give.
  torch::manual_seed(5);
  const int64_t n = 3 * 65536 + 1237;
  auto params = torch::randn({n});
  auto grads = torch::zeros({n});
  auto mask = (torch::rand({n}) < 0.7).to(torch::kFloat32);
  mask.narrow(0, 1000, 70000).fill_(1.0);
  auto p_ref = params.clone();
  auto m_ref = torch::zeros({n});
  auto v_ref = torch::zeros({n});
  const AdamWOptions o{0.9, 0.999, 1e-8, 0.01};
  AdamW opt(params, grads, mask, o);
  const std::vector<double> lrs = {5e-5, 3e-4, 1e-3};
  for (size_t s = 0; s < lrs.size(); ++s) {
    grads.copy_(torch::randn({n}) * 0.1);
    opt.step(lrs[s]);
    const double lr = lrs[s];
    const double t = static_cast<double>(s + 1);
    const double keep = static_cast<double>(static_cast<float>(1.0 - lr * o.weight_decay));
    p_ref.mul_(mask.mul(keep - 1.0).add_(1.0));
    m_ref.lerp_(grads, 1.0 - o.beta1);
    v_ref.mul_(o.beta2).addcmul_(grads, grads, 1.0 - o.beta2);
    auto denom = (v_ref.sqrt() / std::pow(1.0 - std::pow(o.beta2, t), 0.5)).add_(o.eps);
    p_ref.addcdiv_(m_ref, denom, -lr / (1.0 - std::pow(o.beta1, t)));
    EXPECT_TRUE(torch::equal(opt.state().exp_avg, m_ref)) << "step " << s;
    EXPECT_TRUE(torch::equal(opt.state().exp_avg_sq, v_ref)) << "step " << s;
    EXPECT_TRUE(torch::equal(params, p_ref)) << "step " << s;
  }
}

TEST(AdamW, ResumesFromSavedState) {
  torch::manual_seed(4);
  auto p1 = torch::randn({10});
  auto p2 = p1.clone();
  auto g1 = torch::zeros({10});
  auto g2 = torch::zeros({10});
  auto mask = torch::ones({10});
  AdamWOptions o{0.9, 0.999, 1e-8, 0.1};
  AdamW a(p1, g1, mask, o);
  AdamW b(p2, g2, mask, o);
  std::vector<torch::Tensor> gs;
  for (int i = 0; i < 6; ++i) gs.push_back(torch::randn({10}));
  for (int i = 0; i < 3; ++i) {
    g1.copy_(gs[i]);
    a.step(1e-2);
  }
  b.load_state({a.state().exp_avg.clone(), a.state().exp_avg_sq.clone(), a.state().step});
  p2.copy_(p1);
  for (int i = 3; i < 6; ++i) {
    g1.copy_(gs[i]);
    g2.copy_(gs[i]);
    a.step(1e-2);
    b.step(1e-2);
  }
  EXPECT_EQ(b.state().step, 6);
  EXPECT_TRUE(torch::equal(p1, p2));
  EXPECT_THROW(b.load_state({torch::zeros({3}), torch::zeros({3}), 1}), bertgrid::Error);
}

}  // namespace

// The fused kernel (run.fused_adamw) exists from libtorch 2.1: there it must give the
// single-tensor path's update up to float rounding (1e-6 absolute after three steps); before,
// asking for it is a clear error rather than a silent fallback.
TEST(AdamW, FusedKernelMatchesTheOpsOrIsRefusedWhereMissing) {
  torch::manual_seed(9);
  const int64_t n = 4099;
  auto mask = (torch::rand({n}) < 0.6).to(torch::kFloat32);
  auto params = torch::randn({n});
  auto grads = torch::zeros({n});
  AdamWOptions fused_options{0.9, 0.999, 1e-8, 0.01};
  fused_options.fused = true;
  if (!bertgrid::compat::kHasFusedAdamW) {
    EXPECT_THROW(AdamW(params, grads, mask, fused_options), bertgrid::Error);
    return;
  }
  auto params_ref = params.clone();
  auto grads_ref = torch::zeros({n});
  AdamW fused(params, grads, mask, fused_options);
  AdamW ops(params_ref, grads_ref, mask, AdamWOptions{0.9, 0.999, 1e-8, 0.01});
  for (double lr : {1e-3, 5e-4, 2e-3}) {
    const auto g = torch::randn({n}) * 0.1;
    grads.copy_(g);
    grads_ref.copy_(g);
    fused.step(lr);
    ops.step(lr);
  }
  EXPECT_LT((params - params_ref).abs().max().item<double>(), 1e-6);
  EXPECT_LT((fused.state().exp_avg_sq - ops.state().exp_avg_sq).abs().max().item<double>(), 1e-9);
}
