#include <gtest/gtest.h>

#include "core/config.h"
#include "core/error.h"

using bertgrid::Error;
using bertgrid::parse_run_config;

namespace {

const char* kMinimal = R"(name = "t"
[model]
init = "random"
vocab = "vocab.txt"
)";

std::string error_of(const std::string& text) {
  try {
    parse_run_config(text, "c.toml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, DefaultsAreThePapersGrid) {
  auto c = parse_run_config(kMinimal, "c.toml");
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.finetune.epochs, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(c.finetune.batch_size, (std::vector<int64_t>{16}));
  EXPECT_DOUBLE_EQ(c.finetune.learning_rate.at(0), 5e-5);
  EXPECT_EQ(c.embeddings.head.epochs, (std::vector<int64_t>{2}));
  EXPECT_EQ(c.embeddings.strategies.size(), 5u);
  EXPECT_EQ(c.model.arch.dim, 768);
  EXPECT_EQ(c.model.init, bertgrid::ModelInit::kRandom);
  EXPECT_EQ(c.embeddings.pooling, bertgrid::PoolingMode::kMasked);
  EXPECT_EQ(c.embeddings.padding, bertgrid::PaddingMode::kDynamic);
  EXPECT_EQ(c.run.device, bertgrid::DeviceChoice::kAuto);
  EXPECT_EQ(c.run.precision, bertgrid::Precision::kFp32);
  EXPECT_EQ(c.model.arch.activation, bertgrid::Activation::kGelu);
  EXPECT_EQ(c.data.labels.size(), 2u);
}

TEST(Config, ScalarsAndListsBothSpanTheGrid) {
  auto c = parse_run_config(std::string(kMinimal) + R"(
[finetune]
epochs = 3
learning_rate = [5e-5, 3e-5, 2e-5]
init_seed = [1, 2]
warmup_steps = 11
[embeddings]
strategies = ["CLS", "LAST2_MAX"]
epochs = [2]
)",
                            "c.toml");
  EXPECT_EQ(c.finetune.epochs, (std::vector<int64_t>{3}));
  EXPECT_EQ(c.finetune.learning_rate.size(), 3u);
  EXPECT_EQ(c.finetune.init_seed, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(c.finetune.warmup_steps, (std::vector<int64_t>{11}));
  EXPECT_EQ(c.embeddings.strategies, (std::vector<bertgrid::Strategy>{
                                         bertgrid::Strategy::CLS, bertgrid::Strategy::LAST2_MAX}));
}

TEST(Config, UnknownKeyNamesFileLineAndColumn) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[finetune]\nepochz = [2]\n"),
            "c.toml:6:1: unknown key 'finetune.epochz'");
}

TEST(Config, WrongTypeNamesKeyAndType) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[finetune]\nepochs = \"two\"\n"),
            "c.toml:6:10: 'finetune.epochs' must be an integer, not string");
}

TEST(Config, EmptyEpochListIsAnError) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[finetune]\nepochs = []\n"),
            "c.toml:6:10: 'finetune.epochs' is an empty list");
}

TEST(Config, UnknownStrategyIsNamed) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[embeddings]\nstrategies = [\"CLS\", \"MEAN\"]\n"),
            "c.toml:6:22: 'embeddings.strategies' must be \"CLS\", \"LAST_MEAN\", \"LAST_MAX\", "
            "\"LAST2_MEAN\" or \"LAST2_MAX\", not \"MEAN\"");
}

TEST(Config, ImpossibleValuesNameThePosition) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[finetune]\nbatch_size = [16, 0]\n"),
            "c.toml:6:14: 'finetune.batch_size' has 0: must be positive");
  EXPECT_EQ(error_of(std::string(kMinimal) + "n_heads = 5\n"),
            "c.toml:5:11: 'model.n_heads' (5) must divide dim (768) evenly");
  EXPECT_EQ(error_of(std::string(kMinimal) + "dropout = 1.0\n"),
            "c.toml:5:11: 'model.dropout' (1) must be in [0, 1)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "hidden_dim = 0\n"),
            "c.toml:5:14: 'model.hidden_dim' (0) must be positive");
}

TEST(Config, SyntaxErrorsCarryThePosition) {
  std::string e = error_of("name = \n");
  EXPECT_EQ(e.rfind("c.toml:1:", 0), 0u) << e;
}

TEST(Config, NegativeSeedIsRejected) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[finetune]\ninit_seed = -1\n"),
            "c.toml:6:13: 'finetune.init_seed' must not be negative");
}

TEST(Config, PretrainedNeedsADirectory) {
  EXPECT_EQ(error_of("name = \"x\"\n"),
            "c.toml: 'model.dir' is required when model.init = \"pretrained\"");
}

TEST(Config, SpeedSwitchesAreReadAndTyped) {
  const auto cfg = parse_run_config(std::string(kMinimal) +
                                        "[run]\nprecision = \"bf16\"\nfused_adamw = true\n"
                                        "async_copies = false\n",
                                    "c.toml");
  EXPECT_EQ(cfg.run.precision, bertgrid::Precision::kBf16);
  EXPECT_TRUE(cfg.run.fused_adamw);
  EXPECT_FALSE(cfg.run.async_copies);
  const auto defaults = parse_run_config(kMinimal, "c.toml");
  EXPECT_FALSE(defaults.run.fused_adamw);
  EXPECT_TRUE(defaults.run.async_copies);
  EXPECT_EQ(error_of(std::string(kMinimal) + "[run]\nfused_adamw = 1\n"),
            "c.toml:6:15: 'run.fused_adamw' must be a boolean, not integer");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[run]\nprecision = \"fp16\"\n"),
            "c.toml:6:13: 'run.precision' must be \"fp32\" or \"bf16\", not \"fp16\"");
}

TEST(Config, GroupByLengthIsForFinetunesOnly) {
  EXPECT_TRUE(
      parse_run_config(std::string(kMinimal) + "[finetune]\ngroup_by_length = true\n", "c.toml")
          .finetune.group_by_length);
  EXPECT_FALSE(parse_run_config(kMinimal, "c.toml").finetune.group_by_length);
  EXPECT_EQ(error_of(std::string(kMinimal) + "[embeddings]\ngroup_by_length = true\n"),
            "c.toml:6:19: 'embeddings.group_by_length' does not apply: the heads train on "
            "embeddings, which have no length");
}

TEST(Config, GraphSwitchesAreReadAndChecked) {
  const auto cfg = parse_run_config(
      std::string(kMinimal) + "[run]\ncuda_graphs = true\npad_to_multiple_of = 32\n", "c.toml");
  EXPECT_TRUE(cfg.run.cuda_graphs);
  EXPECT_EQ(cfg.run.pad_to_multiple_of, 32);
  const auto defaults = parse_run_config(kMinimal, "c.toml");
  EXPECT_FALSE(defaults.run.cuda_graphs);
  EXPECT_EQ(defaults.run.pad_to_multiple_of, 1);
  EXPECT_EQ(error_of(std::string(kMinimal) + "[run]\npad_to_multiple_of = 0\n"),
            "c.toml:6:22: 'run.pad_to_multiple_of' must be positive");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[run]\ndevice = \"cpu\"\ncuda_graphs = true\n"),
            "c.toml:7:15: 'run.cuda_graphs' needs a CUDA device, but run.device is \"cpu\"");
}

TEST(Config, PackingIsAutoUnlessSet) {
  EXPECT_EQ(parse_run_config(kMinimal, "c.toml").run.packing, bertgrid::Packing::kAuto);
  EXPECT_EQ(
      parse_run_config(std::string(kMinimal) + "[run]\npacking = \"on\"\n", "c.toml").run.packing,
      bertgrid::Packing::kOn);
  EXPECT_EQ(
      parse_run_config(std::string(kMinimal) + "[run]\npacking = \"off\"\n", "c.toml").run.packing,
      bertgrid::Packing::kOff);
  const auto error = error_of(std::string(kMinimal) + "[run]\npacking = \"yes\"\n");
  EXPECT_NE(error.find("'run.packing'"), std::string::npos) << error;
  EXPECT_NE(error.find("\"auto\", \"on\" or \"off\""), std::string::npos) << error;
}

TEST(Config, ChoicesAreReadAsTypes) {
  const auto cfg =
      parse_run_config(std::string(kMinimal) +
                           "activation = \"relu\"\n"
                           "[embeddings]\npooling = \"notebook\"\npadding = \"corpus\"\n"
                           "[run]\ndevice = \"cuda\"\n",
                       "c.toml");
  EXPECT_EQ(cfg.model.arch.activation, bertgrid::Activation::kRelu);
  EXPECT_EQ(cfg.embeddings.pooling, bertgrid::PoolingMode::kNotebook);
  EXPECT_EQ(cfg.embeddings.padding, bertgrid::PaddingMode::kCorpus);
  EXPECT_EQ(cfg.run.device, bertgrid::DeviceChoice::kCuda);
  EXPECT_EQ(error_of(std::string(kMinimal) + "activation = \"swish\"\n"),
            "c.toml:5:14: 'model.activation' must be \"gelu\" or \"relu\", not \"swish\"");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[run]\ndevice = \"gpu\"\n"),
            "c.toml:6:10: 'run.device' must be \"auto\", \"cpu\" or \"cuda\", not \"gpu\"");
  EXPECT_EQ(error_of("name = \"t\"\n[model]\ninit = \"zeros\"\n"),
            "c.toml:3:8: 'model.init' must be \"pretrained\" or \"random\", not \"zeros\"");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[embeddings]\npooling = 1\n"),
            "c.toml:6:11: 'embeddings.pooling' must be a string, not integer");
}

// The name becomes runs/<name>: a plain folder name only.
TEST(Config, NameIsAPlainFolderName) {
  const std::string rest = std::string(kMinimal).substr(std::string(kMinimal).find('\n'));
  auto with_name = [&](const std::string& name) { return "name = \"" + name + "\"" + rest; };
  for (const std::string& ok :
       std::vector<std::string>{"t", "demo", "paper-grid_2.v1", std::string(100, 'a')})
    EXPECT_EQ(error_of(with_name(ok)), "") << ok;
  for (const std::string& bad : std::vector<std::string>{
           "../../escape", ".", "..", "a/b", "-x", ".hidden", "sp ace", std::string(101, 'a')})
    EXPECT_EQ(error_of(with_name(bad)),
              "c.toml:1:8: 'name' '" + bad +
                  "' is not a plain name: it names the run directory runs/<name>, so it must "
                  "match ^[A-Za-z0-9][A-Za-z0-9._-]*$ and be at most 100 characters")
        << bad;
}
