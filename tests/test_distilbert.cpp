// Tests for the DistilBERT modules: HF parameter names, the golden forward pass
// (golden/forward.safetensors, 1e-5 absolute), HF-style initialisation.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "core/error.h"
#include "core/torch_compat.h"
#include "model/distilbert.h"
#include "model/distilbert_config.h"
#include "model/safetensors.h"
#include "tests/tensor_compare.h"

namespace bertgrid::model {
using bertgrid::testing::max_abs_diff;
using bertgrid::testing::sci;

namespace {

const std::string kGolden = std::string(BERTGRID_SHARED_DIR) + "/golden/";
constexpr double kForwardTol = 1e-5;  // golden/README.md: hidden states and logits, absolute

// All tensors of a safetensors file by name.
std::map<std::string, torch::Tensor> read_tensors(const std::string& path) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, tensor] : load_safetensors(path).tensors) out[name] = tensor;
  return out;
}

DistilBertConfig tiny_config() {
  return config_from_json_file(kGolden + "tiny-distilbert/config.json");
}

// The tiny model with the golden weights copied in by name.
DistilBertForSequenceClassification tiny_model() {
  auto model = DistilBertForSequenceClassification(tiny_config());
  auto weights = read_tensors(kGolden + "tiny-distilbert/model.safetensors");
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) p.value().copy_(weights.at(p.key()));
  model->eval();
  return model;
}

TEST(DistilBert, ParameterNamesAreExactlyHfStateDictNames) {
  auto model = DistilBertForSequenceClassification(tiny_config());
  auto weights = read_tensors(kGolden + "tiny-distilbert/model.safetensors");
  std::set<std::string> ours;
  for (auto& p : model->named_parameters()) {
    ours.insert(p.key());
    ASSERT_TRUE(weights.count(p.key())) << p.key();
    EXPECT_EQ(p.value().sizes(), weights.at(p.key()).sizes()) << p.key();
  }
  EXPECT_EQ(ours.size(), weights.size());
  EXPECT_EQ(ours.size(), 4u + 2 * 16 + 4);
  EXPECT_TRUE(ours.count("distilbert.transformer.layer.0.attention.q_lin.weight"));
  EXPECT_TRUE(ours.count("distilbert.embeddings.LayerNorm.weight"));
  EXPECT_TRUE(ours.count("pre_classifier.weight"));
  EXPECT_TRUE(model->named_buffers().is_empty());
}

TEST(DistilBert, ReproducesGoldenHiddenStatesAndLogits) {
  auto model = tiny_model();
  auto golden = read_tensors(kGolden + "forward.safetensors");
  torch::NoGradGuard no_grad;
  auto out = model->forward_with_hidden(golden.at("input_ids"), golden.at("attention_mask"));
  ASSERT_EQ(out.hidden_states.size(), 3u);
  // The golden holds HF's values at padded positions too (padded queries still attend to the
  // real keys), so all positions are compared.
  for (size_t i = 0; i < out.hidden_states.size(); ++i) {
    const auto name = "hidden_state_" + std::to_string(i);
    const double diff = max_abs_diff(out.hidden_states[i], golden.at(name));
    RecordProperty("max_abs_diff_" + name, sci(diff));
    EXPECT_LT(diff, kForwardTol) << name;
  }
  const double diff = max_abs_diff(out.logits, golden.at("logits"));
  RecordProperty("max_abs_diff_logits", sci(diff));
  EXPECT_LT(diff, kForwardTol);
  // forward() gives the same logits as forward_with_hidden().
  auto logits = model->forward(golden.at("input_ids"), golden.at("attention_mask"));
  EXPECT_TRUE(torch::equal(logits, out.logits));
}

TEST(DistilBert, SdpaPathMatchesManualPathOnlyOnTorch2) {
  auto model = tiny_model();
  auto golden = read_tensors(kGolden + "forward.safetensors");
  if (!compat::kHasSdpa) {
    // libtorch 1.13: the manual math is the only path and asking for SDPA is an error.
    EXPECT_FALSE(
        model->distilbert->transformer->layer->at<TransformerBlockImpl>(0).attention->use_sdpa_);
    EXPECT_THROW(model->distilbert->set_use_sdpa(true), Error);
    return;
  }
  torch::NoGradGuard no_grad;
  model->distilbert->set_use_sdpa(false);
  auto manual = model->forward_with_hidden(golden.at("input_ids"), golden.at("attention_mask"));
  model->distilbert->set_use_sdpa(true);
  auto fused = model->forward_with_hidden(golden.at("input_ids"), golden.at("attention_mask"));
  for (size_t i = 0; i < 3; ++i) {
    const auto name = "hidden_state_" + std::to_string(i);
    EXPECT_LT(max_abs_diff(fused.hidden_states[i], golden.at(name)), kForwardTol) << name;
    EXPECT_LT(max_abs_diff(fused.hidden_states[i], manual.hidden_states[i]), kForwardTol) << name;
  }
  EXPECT_LT(max_abs_diff(fused.logits, golden.at("logits")), kForwardTol);
}

TEST(DistilBert, DropoutActsOnlyInTrainingMode) {
  auto c = tiny_config();
  c.dropout = 0.5;
  c.attention_dropout = 0.5;
  c.seq_classif_dropout = 0.5;
  auto model = DistilBertForSequenceClassification(c);
  init_weights(*model, c, 0);
  auto ids = torch::tensor({{101, 7592, 2088, 102}}, torch::kLong);
  torch::NoGradGuard no_grad;
  model->train();
  EXPECT_FALSE(torch::equal(model->forward(ids), model->forward(ids)));
  model->eval();
  EXPECT_TRUE(torch::equal(model->forward(ids), model->forward(ids)));
}

TEST(DistilBert, PaddingDoesNotChangeRealPositions) {
  auto model = tiny_model();
  auto golden = read_tensors(kGolden + "forward.safetensors");
  torch::NoGradGuard no_grad;
  // Sentence 3 is short; run it alone, unpadded, and compare with its padded batch row.
  auto mask = golden.at("attention_mask")[3];
  const int64_t len = mask.sum().item<int64_t>();
  ASSERT_LT(len, 65);
  auto ids = golden.at("input_ids")[3].slice(0, 0, len).unsqueeze(0);
  auto hidden = model->distilbert(ids, torch::ones_like(ids));
  auto expected = golden.at("hidden_state_2")[3].slice(0, 0, len).unsqueeze(0);
  EXPECT_LT(max_abs_diff(hidden.back(), expected), kForwardTol);
}

TEST(DistilBert, RejectsSequenceLongerThanPositions) {
  auto model = DistilBertModel(tiny_config());
  auto ids = torch::zeros({1, 129}, torch::kLong);
  EXPECT_THROW(model->forward(ids), Error);
}

TEST(DistilBert, ReluActivationAndSinusoidalPositionsRun) {
  auto c = tiny_config();
  c.activation = Activation::kRelu;
  c.sinusoidal_pos_embds = true;
  auto model = DistilBertModel(c);
  const auto& pos = model->embeddings->position_embeddings->weight;
  EXPECT_FALSE(pos.requires_grad());
  // HF create_sinusoidal_embeddings: [pos, 2i] = sin(pos / 10000^(2i/dim)), [pos, 2i+1] = cos(...).
  EXPECT_NEAR(pos[5][0].item<double>(), std::sin(5.0), 1e-6);
  EXPECT_NEAR(pos[5][1].item<double>(), std::cos(5.0), 1e-6);
  EXPECT_NEAR(pos[7][6].item<double>(), std::sin(7.0 / std::pow(10000.0, 6.0 / 32)), 1e-6);
  EXPECT_NEAR(pos[7][7].item<double>(), std::cos(7.0 / std::pow(10000.0, 6.0 / 32)), 1e-6);
  auto hidden = model->forward(torch::tensor({{101, 2023, 102}}, torch::kLong));
  EXPECT_EQ(hidden.size(), 3u);
  EXPECT_EQ(hidden.back().sizes(), (std::vector<int64_t>{1, 3, 32}));
  EXPECT_TRUE(torch::isfinite(hidden.back()).all().item<bool>());
}

TEST(DistilBert, InitIsDeterministicForASeed) {
  auto c = tiny_config();
  auto a = DistilBertForSequenceClassification(c);
  auto b = DistilBertForSequenceClassification(c);
  auto d = DistilBertForSequenceClassification(c);
  init_weights(*a, c, 42);
  init_weights(*b, c, 42);
  init_weights(*d, c, 43);
  auto pa = a->named_parameters();
  auto pb = b->named_parameters();
  auto pd = d->named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  EXPECT_FALSE(torch::equal(pa["distilbert.transformer.layer.1.ffn.lin1.weight"],
                            pd["distilbert.transformer.layer.1.ffn.lin1.weight"]));
}

TEST(DistilBert, InitFollowsHf) {
  auto c = tiny_config();
  auto m = DistilBertForSequenceClassification(c);
  init_weights(*m, c, 7);
  auto params = m->named_parameters();
  const auto& words = params["distilbert.embeddings.word_embeddings.weight"];
  // Padding row zero; the rest ~ normal(0, 0.02): with 976,672 draws the sample std is within
  // 0.5% of 0.02 and the mean within 1e-4 of 0 (about 5 standard errors).
  EXPECT_EQ(words[c.pad_token_id].abs().max().item<float>(), 0.0f);
  auto rest = words.slice(0, 1);
  EXPECT_NEAR(rest.std().item<double>(), 0.02, 0.02 * 0.005);
  EXPECT_NEAR(rest.mean().item<double>(), 0.0, 1e-4);
  EXPECT_NEAR(params["distilbert.embeddings.position_embeddings.weight"].std().item<double>(), 0.02,
              0.02 * 0.05);  // 4,096 draws: within 5%
  EXPECT_TRUE(torch::equal(params["distilbert.embeddings.LayerNorm.weight"], torch::ones({32})));
  EXPECT_TRUE(torch::equal(params["distilbert.transformer.layer.0.sa_layer_norm.weight"],
                           torch::ones({32})));
  EXPECT_TRUE(torch::equal(params["distilbert.transformer.layer.1.output_layer_norm.bias"],
                           torch::zeros({32})));
  EXPECT_TRUE(torch::equal(params["distilbert.transformer.layer.0.attention.q_lin.bias"],
                           torch::zeros({32})));
  EXPECT_TRUE(torch::equal(params["pre_classifier.bias"], torch::zeros({32})));
  EXPECT_NEAR(params["distilbert.transformer.layer.0.ffn.lin1.weight"].std().item<double>(), 0.02,
              0.02 * 0.05);  // 2,048 draws: within 5%
}

TEST(DistilBert, InitRefillsSinusoidalPositions) {
  auto c = tiny_config();
  c.sinusoidal_pos_embds = true;
  auto m = DistilBertModel(c);
  auto before = m->embeddings->position_embeddings->weight.clone();
  init_weights(*m, c, 3);
  EXPECT_TRUE(torch::equal(m->embeddings->position_embeddings->weight, before));
}

TEST(DistilBert, HeadMatchesSequenceClassifierOnClsState) {
  auto model = tiny_model();
  auto c = tiny_config();
  auto head = ClassificationHead(c);
  init_head(head, c, 1);
  EXPECT_NEAR(head->pre_classifier->weight.std().item<double>(), 0.02, 0.02 * 0.1);
  EXPECT_TRUE(torch::equal(head->classifier->bias, torch::zeros({2})));
  {
    torch::NoGradGuard no_grad;
    head->pre_classifier->weight.copy_(model->pre_classifier->weight);
    head->pre_classifier->bias.copy_(model->pre_classifier->bias);
    head->classifier->weight.copy_(model->classifier->weight);
    head->classifier->bias.copy_(model->classifier->bias);
  }
  auto golden = read_tensors(kGolden + "forward.safetensors");
  torch::NoGradGuard no_grad;
  head->eval();
  auto logits = head->forward(golden.at("pooled_CLS"));
  EXPECT_LT(max_abs_diff(logits, golden.at("logits")), kForwardTol);
}

TEST(DistilBert, GradientsFlowToEveryTrainableParameter) {
  auto model = tiny_model();
  model->train();
  auto golden = read_tensors(kGolden + "forward.safetensors");
  auto logits = model->forward(golden.at("input_ids"), golden.at("attention_mask"));
  torch::nn::functional::cross_entropy(logits, golden.at("labels")).backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
  // The padding row of word_embeddings gets no gradient (HF's padding_idx).
  const auto& words = model->distilbert->embeddings->word_embeddings->weight;
  EXPECT_EQ(words.grad()[0].abs().max().item<float>(), 0.0f);
}

}  // namespace
}  // namespace bertgrid::model
