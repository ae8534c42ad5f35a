// Tests for HF model directories: loading the tiny golden model (1e-5 against
// golden/forward.safetensors), save -> load bit-identity, base checkpoints (prefixed or bare names,
// MLM weights unused, head newly initialised), F16 weights, and the error cases.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "model/hf_dir.h"
#include "model/safetensors.h"
#include "tests/support.h"
#include "tests/tensor_compare.h"

namespace bertgrid::model {
using bertgrid::testing::error_of;
using bertgrid::testing::max_abs_diff;

namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(BERTGRID_SHARED_DIR) + "/golden/";
const std::string kTiny = kGolden + "tiny-distilbert";
constexpr double kForwardTol = 1e-5;  // golden/README.md: hidden states and logits, absolute

using Tensors = std::vector<std::pair<std::string, torch::Tensor>>;

std::string read_text(const fs::path& p) {
  return testing::read_file(p.string());
}

class HfDir : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& [name, tensor] : load_safetensors(kTiny + "/model.safetensors").tensors) {
      tiny_.emplace_back(name, tensor);
    }
  }

  // A model directory `name` with the tiny config (or `config_text`) and these tensors.
  std::string make_dir(const std::string& name, const Tensors& tensors,
                       const std::string& config_text = "") {
    const fs::path dir = root_ / name;
    fs::create_directories(dir);
    std::ofstream(dir / "config.json")
        << (config_text.empty() ? read_text(kTiny + "/config.json") : config_text);
    save_safetensors((dir / "model.safetensors").string(), tensors);
    return dir.string();
  }

  // The tiny tensors without the classification head, plus a base checkpoint's MLM weights.
  Tensors base_checkpoint(bool strip_prefix) const {
    Tensors out;
    for (const auto& [name, t] : tiny_) {
      if (name.rfind("distilbert.", 0) != 0) continue;
      out.emplace_back(strip_prefix ? name.substr(11) : name, t);
    }
    out.emplace_back("vocab_transform.weight", torch::randn({32, 32}));
    out.emplace_back("vocab_transform.bias", torch::randn({32}));
    out.emplace_back("vocab_layer_norm.weight", torch::ones({32}));
    out.emplace_back("vocab_layer_norm.bias", torch::zeros({32}));
    out.emplace_back("vocab_projector.bias", torch::zeros({30522}));
    return out;
  }

  testing::TempDir tmp_;
  fs::path root_ = tmp_.path();
  Tensors tiny_;
};

TEST_F(HfDir, LoadsTinyGoldenAndReproducesForward) {
  auto loaded = load_pretrained(kTiny, 0);
  EXPECT_TRUE(loaded.unused.empty());
  EXPECT_TRUE(loaded.newly_initialised.empty());
  EXPECT_EQ(loaded.config.dim, 32);
  EXPECT_FALSE(loaded.model->is_training());
  std::map<std::string, torch::Tensor> golden;
  for (auto& [name, t] : load_safetensors(kGolden + "forward.safetensors").tensors)
    golden[name] = t;
  torch::NoGradGuard no_grad;
  auto out = loaded.model->forward_with_hidden(golden.at("input_ids"), golden.at("attention_mask"));
  for (size_t i = 0; i < 3; ++i) {
    const auto name = "hidden_state_" + std::to_string(i);
    EXPECT_LT(max_abs_diff(out.hidden_states[i], golden.at(name)), kForwardTol) << name;
  }
  EXPECT_LT(max_abs_diff(out.logits, golden.at("logits")), kForwardTol);
}

TEST_F(HfDir, SaveThenLoadIsBitIdentical) {
  auto first = load_pretrained(kTiny, 0);
  const auto dir = (root_ / "saved").string();
  save_pretrained(dir, first.model, first.config, kTiny + "/vocab.txt");
  auto second = load_pretrained(dir, 123);
  EXPECT_TRUE(second.unused.empty());
  EXPECT_TRUE(second.newly_initialised.empty());
  auto a = first.model->named_parameters();
  auto b = second.model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
  // The saved file holds exactly the HF names and the tiny golden's bytes for each tensor.
  auto saved = load_safetensors(dir + "/model.safetensors");
  ASSERT_EQ(saved.tensors.size(), tiny_.size());
  for (const auto& [name, t] : tiny_) {
    ASSERT_NE(saved.find(name), nullptr) << name;
    EXPECT_TRUE(torch::equal(*saved.find(name), t)) << name;
  }
  EXPECT_EQ(saved.metadata.at("format"), "pt");
  auto ids = torch::tensor({{101, 7592, 2088, 102, 0}}, torch::kLong);
  auto mask = torch::tensor({{1, 1, 1, 1, 0}}, torch::kLong);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(first.model->forward(ids, mask), second.model->forward(ids, mask)));
}

TEST_F(HfDir, SaveWritesHfFilesAndNoTemporaries) {
  auto loaded = load_pretrained(kTiny, 0);
  const fs::path dir = root_ / "saved";
  save_pretrained(dir.string(), loaded.model, loaded.config, kTiny + "/vocab.txt");
  EXPECT_EQ(read_text(dir / "vocab.txt"), read_text(kTiny + "/vocab.txt"));
  // config.json, byte for byte as HF-compatible tools (and earlier bertgrid versions) write it.
  EXPECT_EQ(read_text(dir / "config.json"), R"({
  "activation": "gelu",
  "architectures": [
    "DistilBertForSequenceClassification"
  ],
  "attention_dropout": 0.0,
  "dim": 32,
  "dropout": 0.0,
  "dtype": "float32",
  "hidden_dim": 64,
  "id2label": {
    "0": "LABEL_0",
    "1": "LABEL_1"
  },
  "initializer_range": 0.02,
  "label2id": {
    "LABEL_0": 0,
    "LABEL_1": 1
  },
  "max_position_embeddings": 128,
  "model_type": "distilbert",
  "n_heads": 4,
  "n_layers": 2,
  "pad_token_id": 0,
  "qa_dropout": 0.1,
  "seq_classif_dropout": 0.0,
  "sinusoidal_pos_embds": false,
  "tie_word_embeddings": true,
  "vocab_size": 30522
}
)");
  auto tok = nlohmann::json::parse(read_text(dir / "tokenizer_config.json"));
  EXPECT_EQ(tok.at("do_lower_case"), true);
  EXPECT_EQ(tok.at("model_max_length"), 512);
  EXPECT_EQ(tok.at("tokenizer_class"), "DistilBertTokenizer");
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.insert(e.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"config.json", "model.safetensors",
                                          "tokenizer_config.json", "vocab.txt"}));
}

TEST_F(HfDir, BaseCheckpointReportsUnusedAndInitialisesHead) {
  const auto dir = make_dir("base", base_checkpoint(/*strip_prefix=*/false));
  auto loaded = load_pretrained(dir, 5);
  EXPECT_EQ(loaded.unused,
            (std::vector<std::string>{"vocab_layer_norm.bias", "vocab_layer_norm.weight",
                                      "vocab_projector.bias", "vocab_transform.bias",
                                      "vocab_transform.weight"}));
  EXPECT_EQ(loaded.newly_initialised,
            (std::vector<std::string>{"classifier.bias", "classifier.weight", "pre_classifier.bias",
                                      "pre_classifier.weight"}));
  auto params = loaded.model->named_parameters();
  for (const auto& [name, t] : tiny_) {
    if (name.rfind("distilbert.", 0) == 0) {
      EXPECT_TRUE(torch::equal(params[name], t)) << name;
    }
  }
  EXPECT_TRUE(torch::equal(params["pre_classifier.bias"], torch::zeros({32})));
  EXPECT_TRUE(torch::equal(params["classifier.bias"], torch::zeros({2})));
  // 1,024 draws of normal(0, 0.02): the sample std is within 10% (about 4.5 standard errors).
  EXPECT_NEAR(params["pre_classifier.weight"].std().item<double>(), 0.02, 0.002);
  // Same seed, same head; another seed, another head.
  auto again = load_pretrained(dir, 5);
  auto other = load_pretrained(dir, 6);
  EXPECT_TRUE(
      torch::equal(again.model->pre_classifier->weight, loaded.model->pre_classifier->weight));
  EXPECT_TRUE(torch::equal(again.model->classifier->weight, loaded.model->classifier->weight));
  EXPECT_FALSE(torch::equal(other.model->classifier->weight, loaded.model->classifier->weight));
}

TEST_F(HfDir, AcceptsBareBaseModelNames) {
  const auto dir = make_dir("bare", base_checkpoint(/*strip_prefix=*/true));
  auto loaded = load_pretrained(dir, 0);
  EXPECT_EQ(loaded.unused.size(), 5u);
  EXPECT_EQ(loaded.newly_initialised.size(), 4u);
  auto params = loaded.model->named_parameters();
  for (const auto& [name, t] : tiny_) {
    if (name.rfind("distilbert.", 0) == 0) {
      EXPECT_TRUE(torch::equal(params[name], t)) << name;
    }
  }
}

TEST_F(HfDir, ConvertsHalfPrecisionWeightsToFloat32) {
  Tensors half;
  for (const auto& [name, t] : tiny_) {
    half.emplace_back(name, name.find("layer.0") != std::string::npos ? t.to(torch::kHalf)
                                                                      : t.to(torch::kBFloat16));
  }
  auto loaded = load_pretrained(make_dir("half", half), 0);
  auto params = loaded.model->named_parameters();
  for (const auto& [name, t] : half) {
    EXPECT_EQ(params[name].scalar_type(), torch::kFloat32) << name;
    EXPECT_TRUE(torch::equal(params[name], t.to(torch::kFloat32))) << name;
  }
}

TEST_F(HfDir, ShapeMismatchNamesTensorAndBothShapes) {
  Tensors bad = tiny_;
  for (auto& [name, t] : bad) {
    if (name == "distilbert.transformer.layer.1.attention.k_lin.weight") t = torch::zeros({32, 16});
  }
  const auto msg = error_of([&] { load_pretrained(make_dir("shape", bad), 0); });
  EXPECT_NE(
      msg.find("\"distilbert.transformer.layer.1.attention.k_lin.weight\" has shape [32, 16]"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("[32, 32]"), std::string::npos) << msg;
}

TEST_F(HfDir, MissingEncoderTensorIsAnError) {
  Tensors bad;
  for (const auto& [name, t] : tiny_) {
    if (name != "distilbert.transformer.layer.1.ffn.lin2.bias") bad.emplace_back(name, t);
  }
  const auto msg = error_of([&] { load_pretrained(make_dir("missing", bad), 0); });
  EXPECT_NE(msg.find("missing tensor \"distilbert.transformer.layer.1.ffn.lin2.bias\""),
            std::string::npos)
      << msg;
}

TEST_F(HfDir, PytorchBinOnlyExplainsConversion) {
  const fs::path dir = root_ / "bin_only";
  fs::create_directories(dir);
  fs::copy_file(kTiny + "/config.json", dir / "config.json");
  std::ofstream(dir / "pytorch_model.bin") << "not really a pickle";
  const auto msg = error_of([&] { load_pretrained(dir.string(), 0); });
  EXPECT_NE(msg.find("pytorch_model.bin but no model.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("from safetensors.torch import save_file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("safe_serialization=True"), std::string::npos) << msg;
}

TEST_F(HfDir, BadConfigValuesAreErrors) {
  auto config = nlohmann::json::parse(read_text(kTiny + "/config.json"));
  config["n_heads"] = 5;
  auto msg = error_of([&] { load_pretrained(make_dir("heads", tiny_, config.dump()), 0); });
  EXPECT_NE(msg.find("config.json: n_heads (5) must divide dim (32)"), std::string::npos) << msg;
  config["n_heads"] = 4;
  config["activation"] = "tanh";
  msg = error_of([&] { load_pretrained(make_dir("act", tiny_, config.dump()), 0); });
  EXPECT_NE(msg.find("config.json: key \"activation\" must be \"gelu\" or \"relu\", got \"tanh\""),
            std::string::npos)
      << msg;
}

TEST_F(HfDir, MissingDirectoryOrWeightsAreErrors) {
  EXPECT_NE(
      error_of([&] { load_pretrained((root_ / "nope").string(), 0); }).find("not a directory"),
      std::string::npos);
  fs::create_directories(root_ / "empty");
  EXPECT_NE(error_of([&] {
              load_pretrained((root_ / "empty").string(), 0);
            }).find("no model.safetensors"),
            std::string::npos);
}

}  // namespace
}  // namespace bertgrid::model
