// model::Dense and model::Lookup: the same forward and gradients as torch::nn::Linear and
// torch::nn::Embedding given the same weights, zeros until initialised, and no random draws.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "model/distilbert.h"
#include "model/layers.h"

namespace {

using namespace bertgrid::model;

TEST(Layers, DenseMatchesLinearBitForBit) {
  torch::manual_seed(1);
  torch::nn::Linear reference(5, 3);
  Dense dense(5, 3);
  EXPECT_TRUE(dense->weight.equal(torch::zeros({3, 5})));
  EXPECT_TRUE(dense->bias.equal(torch::zeros({3})));
  {
    torch::NoGradGuard no_grad;
    dense->weight.copy_(reference->weight);
    dense->bias.copy_(reference->bias);
  }
  const auto x = torch::randn({4, 2, 5});
  const auto ours = dense(x);
  const auto theirs = reference(x);
  EXPECT_TRUE(ours.equal(theirs));
  ours.sum().backward();
  theirs.sum().backward();
  EXPECT_TRUE(dense->weight.grad().equal(reference->weight.grad()));
  EXPECT_TRUE(dense->bias.grad().equal(reference->bias.grad()));
  std::vector<std::string> names;
  for (const auto& p : dense->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));
  EXPECT_THROW(Dense(0, 3), bertgrid::Error);
}

// The padding row is looked up like any other but gets no gradient, as in torch::nn::Embedding.
TEST(Layers, LookupMatchesEmbeddingIncludingThePaddingRow) {
  torch::manual_seed(2);
  torch::nn::Embedding reference(torch::nn::EmbeddingOptions(6, 4).padding_idx(0));
  Lookup lookup(6, 4, 0);
  EXPECT_TRUE(lookup->weight.equal(torch::zeros({6, 4})));
  {
    torch::NoGradGuard no_grad;
    lookup->weight.copy_(reference->weight);
  }
  const auto ids = torch::tensor({{0, 3, 5}, {2, 0, 0}}, torch::kInt64);
  const auto ours = lookup(ids);
  const auto theirs = reference(ids);
  EXPECT_TRUE(ours.equal(theirs));
  (ours * ours).sum().backward();
  (theirs * theirs).sum().backward();
  EXPECT_TRUE(lookup->weight.grad().equal(reference->weight.grad()));
  EXPECT_TRUE(lookup->weight.grad()[0].equal(torch::zeros({4})));
  EXPECT_THROW(Lookup(6, 4, 6), bertgrid::Error);
}

// Building a model draws nothing: the global generator is where it was, and HF's init is what
// gives the weights their values.
TEST(Layers, BuildingAModelDrawsNoRandomNumbers) {
  DistilBertConfig c;
  c.vocab_size = 50;
  c.max_position_embeddings = 16;
  c.dim = 8;
  c.n_layers = 1;
  c.n_heads = 2;
  c.hidden_dim = 16;
  torch::manual_seed(9);
  const auto expected = torch::rand({4});
  torch::manual_seed(9);
  DistilBertForSequenceClassification model(c);
  EXPECT_TRUE(torch::rand({4}).equal(expected));
  for (const auto& p : model->named_parameters()) {
    const bool norm = p.key().find("LayerNorm") != std::string::npos ||
                      p.key().find("layer_norm") != std::string::npos;
    if (!norm) {
      EXPECT_EQ(p.value().abs().sum().item<double>(), 0.0) << p.key();
    }
  }
  init_weights(*model, c, 1);
  EXPECT_GT(model->distilbert->embeddings->word_embeddings->weight.abs().sum().item<double>(), 0);
}

}  // namespace
