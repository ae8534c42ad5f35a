// Tests for train/flat_params: packing, aliasing, gradient accumulation, the decay rule.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "train/flat_params.h"

namespace {

using bertgrid::train::FlatParams;

struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(4, 8));
    norm = register_module("LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({8})));
    classifier = register_module("classifier", torch::nn::Linear(8, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) { return classifier(torch::tanh(norm(fc1(x)))); }
  torch::nn::Linear fc1{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(TinyNet);

torch::Tensor flat_copy(torch::nn::Module& m) {
  std::vector<torch::Tensor> parts;
  for (auto& p : m.parameters()) parts.push_back(p.detach().reshape(-1).clone());
  return torch::cat(parts);
}

nlohmann::json read_json(const std::string& name) {
  std::ifstream in(std::string(BERTGRID_SHARED_DIR) + "/golden/" + name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

TEST(FlatParams, PacksTrainableParamsInModuleOrder) {
  torch::manual_seed(1);
  TinyNet net;
  const torch::Tensor before = flat_copy(*net);
  FlatParams flat(*net);
  const std::vector<std::string> names = {"fc1.weight",     "fc1.bias",          "LayerNorm.weight",
                                          "LayerNorm.bias", "classifier.weight", "classifier.bias"};
  EXPECT_EQ(flat.names(), names);
  EXPECT_EQ(flat.sizes(), (std::vector<int64_t>{32, 8, 8, 8, 16, 2}));
  EXPECT_EQ(flat.offsets(), (std::vector<int64_t>{0, 32, 40, 48, 56, 72}));
  EXPECT_EQ(flat.numel(), 74);
  EXPECT_TRUE(torch::equal(flat.params(), before));
  EXPECT_EQ(flat.grads().abs().sum().item<float>(), 0.0f);
}

TEST(FlatParams, ModuleParametersAliasTheBuffer) {
  TinyNet net;
  FlatParams flat(*net);
  auto x = torch::randn({3, 4});
  flat.params().fill_(0.0f);
  // All parameters zero: the classifier's output is exactly 0.
  EXPECT_EQ(net->forward(x).abs().max().item<float>(), 0.0f);
  flat.params().narrow(0, 72, 2).fill_(0.5f);  // classifier.bias
  EXPECT_TRUE(torch::equal(net->classifier->bias, torch::full({2}, 0.5f)));
  EXPECT_TRUE(torch::equal(net->forward(x), torch::full({3, 2}, 0.5f)));
  EXPECT_EQ(net->classifier->bias.data_ptr<float>(), flat.params().data_ptr<float>() + 72);
}

TEST(FlatParams, BackwardAccumulatesIntoFlatGrads) {
  torch::manual_seed(2);
  TinyNet net;
  TinyNet ref;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < ref->parameters().size(); ++i) {
      ref->parameters()[i].copy_(net->parameters()[i]);
    }
  }
  FlatParams flat(*net);
  auto x = torch::randn({5, 4});
  auto y = torch::tensor({0, 1, 1, 0, 1}, torch::kInt64);
  torch::nn::functional::cross_entropy(net->forward(x), y).backward();
  torch::nn::functional::cross_entropy(ref->forward(x), y).backward();
  flat.check_views();
  torch::Tensor expected =
      torch::cat({ref->fc1->weight.grad().reshape(-1), ref->fc1->bias.grad(),
                  ref->norm->weight.grad(), ref->norm->bias.grad(),
                  ref->classifier->weight.grad().reshape(-1), ref->classifier->bias.grad()});
  EXPECT_GT(expected.abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(flat.grads(), expected));

  // A second backward adds to the same buffer; zero_grad clears it in place.
  torch::nn::functional::cross_entropy(net->forward(x), y).backward();
  flat.check_views();
  EXPECT_TRUE(torch::allclose(flat.grads(), 2 * expected, 0.0, 1e-7));
  const float* grad_ptr = flat.grads().data_ptr<float>();
  flat.zero_grad();
  EXPECT_EQ(flat.grads().abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(net->fc1->weight.grad().abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(flat.grads().data_ptr<float>(), grad_ptr);
  flat.check_views();
}

TEST(FlatParams, SkipsFrozenParameters) {
  TinyNet net;
  net->fc1->weight.set_requires_grad(false);
  net->fc1->bias.set_requires_grad(false);
  FlatParams flat(*net);
  EXPECT_EQ(flat.names().front(), "LayerNorm.weight");
  EXPECT_EQ(flat.numel(), 34);
}

TEST(FlatParams, CheckViewsThrowsWhenGradIsReplacedOrDropped) {
  TinyNet net;
  FlatParams flat(*net);
  flat.check_views();
  net->classifier->weight.mutable_grad() = torch::zeros({2, 8});
  EXPECT_THROW(flat.check_views(), bertgrid::Error);
  net->classifier->weight.mutable_grad() = torch::Tensor();  // what zero_grad(set_to_none) does
  try {
    flat.check_views();
    FAIL() << "no throw for an undefined grad";
  } catch (const bertgrid::Error& e) {
    EXPECT_NE(std::string(e.what()).find("classifier.weight"), std::string::npos) << e.what();
  }
}

TEST(FlatParams, CheckViewsThrowsWhenDataIsReplaced) {
  TinyNet net;
  FlatParams flat(*net);
  net->fc1->bias.set_data(torch::zeros({8}));
  EXPECT_THROW(flat.check_views(), bertgrid::Error);
}

TEST(FlatParams, DecayMaskExcludesBiasAndLayerNormWeights) {
  TinyNet net;
  FlatParams flat(*net);
  const auto& mask = flat.decay_mask();
  EXPECT_EQ(mask.narrow(0, 0, 32).sum().item<float>(), 32.0f);   // fc1.weight
  EXPECT_EQ(mask.narrow(0, 32, 24).sum().item<float>(), 0.0f);   // fc1.bias, LayerNorm.*
  EXPECT_EQ(mask.narrow(0, 56, 16).sum().item<float>(), 16.0f);  // classifier.weight
  EXPECT_EQ(mask.narrow(0, 72, 2).sum().item<float>(), 0.0f);    // classifier.bias
}

TEST(FlatParams, DecayRuleReproducesGoldenNoDecayList) {
  // Every DistilBERT parameter name (from train_strong.json) against train_trace.json's list.
  const auto strong = read_json("train_strong.json");
  const auto trace = read_json("train_trace.json");
  std::set<std::string> expected;
  for (const auto& name : trace.at("no_decay_params")) expected.insert(name.get<std::string>());
  std::set<std::string> got;
  size_t all = 0;
  for (const auto& item : strong.at("max_abs_change_per_tensor").items()) {
    ++all;
    if (!bertgrid::train::applies_weight_decay(item.key())) got.insert(item.key());
  }
  EXPECT_EQ(all, 40u);
  EXPECT_EQ(expected.size(), 24u);
  EXPECT_EQ(got, expected);
}

TEST(FlatParams, RejectsModuleWithoutTrainableParameters) {
  torch::nn::Module empty;
  EXPECT_THROW(FlatParams flat(empty), bertgrid::Error);
}

}  // namespace
