// Tests for DistilBertConfig: reading HF config.json, writing it back, validation messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "model/distilbert_config.h"
#include "tests/support.h"

namespace bertgrid::model {
namespace {

const std::string kTinyConfig =
    std::string(BERTGRID_SHARED_DIR) + "/golden/tiny-distilbert/config.json";

// Runs f, expecting a bertgrid::Error whose message contains `part`.
template <typename F>
void expect_error_containing(F f, const std::string& part) {
  try {
    f();
    FAIL() << "expected an error containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(DistilBertConfig, ReadsTinyGoldenConfig) {
  auto c = config_from_json_file(kTinyConfig);
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.max_position_embeddings, 128);
  EXPECT_EQ(c.dim, 32);
  EXPECT_EQ(c.n_layers, 2);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.hidden_dim, 64);
  EXPECT_EQ(c.dropout, 0.0);
  EXPECT_EQ(c.attention_dropout, 0.0);
  EXPECT_EQ(c.seq_classif_dropout, 0.0);
  EXPECT_EQ(c.initializer_range, 0.02);
  EXPECT_EQ(c.activation, Activation::kGelu);
  EXPECT_FALSE(c.sinusoidal_pos_embds);
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_EQ(c.num_labels, 2);
}

TEST(DistilBertConfig, DefaultsMatchDistilbertBaseUncased) {
  DistilBertConfig c;
  EXPECT_EQ(c.dim, 768);
  EXPECT_EQ(c.n_layers, 6);
  EXPECT_EQ(c.n_heads, 12);
  EXPECT_EQ(c.hidden_dim, 3072);
  EXPECT_EQ(c.seq_classif_dropout, 0.2);
  EXPECT_NO_THROW(validate(c));
}

TEST(DistilBertConfig, ToJsonRoundTripsAndIsHfShaped) {
  DistilBertConfig c;
  c.dim = 48;
  c.n_heads = 6;
  c.n_layers = 3;
  c.hidden_dim = 100;
  c.dropout = 0.25;
  c.activation = Activation::kRelu;
  c.sinusoidal_pos_embds = true;
  c.num_labels = 3;
  auto j = to_json(c);
  EXPECT_EQ(j.at("model_type"), "distilbert");
  EXPECT_EQ(j.at("architectures"), nlohmann::json::array({"DistilBertForSequenceClassification"}));
  EXPECT_EQ(j.at("id2label").size(), 3u);
  EXPECT_EQ(j.at("id2label").at("2"), "LABEL_2");
  EXPECT_EQ(j.at("label2id").at("LABEL_1"), 1);
  auto back = bertgrid::model::from_json(j, "test");
  EXPECT_EQ(back.dim, 48);
  EXPECT_EQ(back.n_heads, 6);
  EXPECT_EQ(back.n_layers, 3);
  EXPECT_EQ(back.hidden_dim, 100);
  EXPECT_EQ(back.dropout, 0.25);
  EXPECT_EQ(back.activation, Activation::kRelu);
  EXPECT_EQ(j.at("activation"), "relu");
  EXPECT_TRUE(back.sinusoidal_pos_embds);
  EXPECT_EQ(back.num_labels, 3);
}

TEST(DistilBertConfig, NumLabelsFromId2Label) {
  nlohmann::json j = {{"id2label", {{"0", "a"}, {"1", "b"}, {"2", "c"}, {"3", "d"}}}};
  EXPECT_EQ(bertgrid::model::from_json(j, "x").num_labels, 4);
}

TEST(DistilBertConfig, WrongTypeNamesTheKey) {
  expect_error_containing(
      [] {
        bertgrid::model::from_json({{"dim", "32"}}, "config.json");
      },
      "config.json: key \"dim\" must be an integer");
  expect_error_containing(
      [] {
        bertgrid::model::from_json({{"dropout", true}}, "c");
      },
      "key \"dropout\"");
  expect_error_containing(
      [] {
        bertgrid::model::from_json({{"activation", 1}}, "c");
      },
      "key \"activation\"");
  expect_error_containing(
      [] {
        bertgrid::model::from_json({{"sinusoidal_pos_embds", 0}}, "c");
      },
      "key \"sinusoidal_pos_embds\"");
  expect_error_containing(
      [] {
        bertgrid::model::from_json({{"n_layers", 2.5}}, "c");
      },
      "key \"n_layers\"");
}

TEST(DistilBertConfig, HeadsMustDivideDim) {
  DistilBertConfig c;
  c.dim = 32;
  c.n_heads = 5;
  expect_error_containing([&] { validate(c, "config.json"); },
                          "config.json: n_heads (5) must divide dim (32)");
}

TEST(DistilBertConfig, RejectsUnknownActivation) {
  expect_error_containing(
      [] {
        bertgrid::model::from_json({{"activation", "swish"}}, "config.json");
      },
      "config.json: key \"activation\" must be \"gelu\" or \"relu\", got \"swish\"");
}

TEST(DistilBertConfig, RejectsNonPositiveSizes) {
  DistilBertConfig c;
  c.n_layers = 0;
  expect_error_containing([&] { validate(c); }, "n_layers (0) must be positive");
  c = DistilBertConfig{};
  c.vocab_size = -3;
  expect_error_containing([&] { validate(c); }, "vocab_size (-3) must be positive");
  c = DistilBertConfig{};
  c.hidden_dim = 0;
  expect_error_containing([&] { validate(c); }, "hidden_dim (0) must be positive");
}

TEST(DistilBertConfig, RejectsDropoutOutsideUnitInterval) {
  DistilBertConfig c;
  c.dropout = 1.0;
  expect_error_containing([&] { validate(c); }, "dropout (1) must be in [0, 1)");
  c = DistilBertConfig{};
  c.attention_dropout = -0.1;
  expect_error_containing([&] { validate(c); }, "attention_dropout (-0.1) must be in [0, 1)");
  c = DistilBertConfig{};
  c.seq_classif_dropout = 1.5;
  expect_error_containing([&] { validate(c); }, "seq_classif_dropout (1.5)");
}

TEST(DistilBertConfig, RejectsPadTokenOutsideVocab) {
  DistilBertConfig c;
  c.pad_token_id = 30522;
  expect_error_containing([&] { validate(c); }, "pad_token_id (30522)");
}

TEST(DistilBertConfig, FileErrorsNameThePath) {
  const testing::TempDir dir;
  const std::string path = dir / "config.json";
  { std::ofstream(path) << "{\"dim\": 32, \"n_heads\": 5,}"; }
  expect_error_containing([&] { config_from_json_file(path); }, path + ": invalid JSON");
  // nlohmann reports a number overflow as out_of_range, not parse_error: still our error.
  { std::ofstream(path) << "{\"dim\": 32, \"dropout\": 1e999}"; }
  expect_error_containing([&] { config_from_json_file(path); }, path + ": invalid JSON");
  { std::ofstream(path) << "{\"dim\": 32, \"n_heads\": 5}"; }
  expect_error_containing([&] { config_from_json_file(path); },
                          path + ": n_heads (5) must divide dim (32)");
  expect_error_containing([&] { config_from_json_file(dir / "nope.json"); },
                          dir / "nope.json" + ": cannot open the model config: No such file");
}

}  // namespace
}  // namespace bertgrid::model
