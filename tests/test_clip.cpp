// Tests for train/clip: against torch::nn::utils::clip_grad_norm_ and a hand-computed case.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "train/clip.h"
#include "train/flat_params.h"

namespace {

using bertgrid::train::FlatParams;

struct ThreeTensorsImpl : torch::nn::Module {
  ThreeTensorsImpl() {
    a = register_parameter("a", torch::zeros({7, 5}));
    b = register_parameter("b", torch::zeros({11}));
    c = register_parameter("c", torch::zeros({3, 2, 4}));
  }
  torch::Tensor a, b, c;
};
TORCH_MODULE(ThreeTensors);

// Fills flat's grads and reference tensors' grads with the same random values.
std::vector<torch::Tensor> random_grads(FlatParams& flat, float scale) {
  flat.grads().copy_(torch::randn({flat.numel()}) * scale);
  std::vector<torch::Tensor> ref;
  for (const auto& g : flat.grad_views()) {
    auto p = torch::zeros(g.sizes(), torch::requires_grad());
    p.mutable_grad() = g.clone();
    ref.push_back(p);
  }
  return ref;
}

torch::Tensor flat_ref_grads(const std::vector<torch::Tensor>& ref) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : ref) parts.push_back(p.grad().reshape(-1));
  return torch::cat(parts);
}

// Tolerance: libtorch's reference reduces with Tensor::norm, we with linalg_vector_norm (as
// PyTorch 2.x does); both float32, agreeing to 1e-6 relative.
TEST(Clip, MatchesLibtorchWhenClipping) {
  torch::manual_seed(5);
  ThreeTensors m;
  FlatParams flat(*m);
  for (int trial = 0; trial < 5; ++trial) {
    auto ref = random_grads(flat, 2.0f);
    const double want = torch::nn::utils::clip_grad_norm_(ref, 0.5);
    const float got = bertgrid::train::clip_grad_norm(flat, 0.5);
    ASSERT_GT(want, 0.5);
    EXPECT_NEAR(got, want, 1e-6 * want);
    EXPECT_TRUE(torch::allclose(flat.grads(), flat_ref_grads(ref), 1e-6, 1e-9));
    EXPECT_NEAR(torch::linalg_vector_norm(flat.grads(), 2).item<double>(), 0.5, 1e-6);
    flat.check_views();
  }
}

TEST(Clip, LeavesSmallGradientsExactlyUnchanged) {
  torch::manual_seed(6);
  ThreeTensors m;
  FlatParams flat(*m);
  auto ref = random_grads(flat, 0.01f);
  const torch::Tensor before = flat.grads().clone();
  const double want = torch::nn::utils::clip_grad_norm_(ref, 1.0);
  const float got = bertgrid::train::clip_grad_norm(flat, 1.0);
  EXPECT_NEAR(got, want, 1e-6 * want);
  EXPECT_LT(got, 1.0f);
  EXPECT_TRUE(torch::equal(flat.grads(), before));  // coef clamped to exactly 1
}

TEST(Clip, HandComputedThreeFourFive) {
  ThreeTensors m;
  FlatParams flat(*m);
  flat.grads().zero_();
  flat.grads()[0] = 3.0f;   // in a
  flat.grads()[40] = 4.0f;  // in b
  EXPECT_FLOAT_EQ(bertgrid::train::grad_norm(flat).item<float>(), 5.0f);
  const float norm = bertgrid::train::clip_grad_norm(flat, 1.0);
  EXPECT_FLOAT_EQ(norm, 5.0f);
  EXPECT_NEAR(flat.grads()[0].item<double>(), 3.0 / (5.0 + 1e-6), 1e-7);
  EXPECT_NEAR(flat.grads()[40].item<double>(), 4.0 / (5.0 + 1e-6), 1e-7);
  EXPECT_EQ(flat.grads().abs().sum().item<float>(),
            flat.grads()[0].item<float>() + flat.grads()[40].item<float>());
}

}  // namespace

// The device-side variant (what the trainer uses): the norm is not read back, the grads get
// bit-for-bit the same factor, clipping or not, and the norm tensor holds the same value.
TEST(Clip, WithoutReadingTheNormGivesTheSameGrads) {
  for (const float scale : {10.0f, 0.001f}) {
    torch::manual_seed(11);
    ThreeTensors read_model, device_model;
    FlatParams read(*read_model), device(*device_model);
    random_grads(read, scale);
    device.grads().copy_(read.grads());
    const float norm = bertgrid::train::clip_grad_norm(read, 1.0);
    const torch::Tensor on_device = bertgrid::train::clip_grad_norm_on_device(device, 1.0);
    EXPECT_EQ(on_device.dim(), 0);
    EXPECT_EQ(on_device.item<float>(), norm);
    EXPECT_TRUE(torch::equal(read.grads(), device.grads())) << "scale " << scale;
  }
}
