// Tests for the embedder: golden/forward.safetensors pooled_<STRATEGY> from the tiny model at
// any batch size (padding independence), the notebook's pooling with corpus padding, truncation
// counting, batch plans for sharding, the fingerprint and the key of a randomly initialised
// encoder. Tolerance 1e-5 absolute (README).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/sha256.h"
#include "model/embedder.h"
#include "model/hf_dir.h"
#include "model/safetensors.h"
#include "tests/tensor_compare.h"

namespace bertgrid::model {
using bertgrid::testing::max_abs_diff;

namespace {

const std::string kGolden = std::string(BERTGRID_SHARED_DIR) + "/golden";
const std::string kTiny = kGolden + "/tiny-distilbert";
constexpr double kTol = 1e-5;

struct Fixture {
  LoadedModel loaded = load_pretrained(kTiny, 0);
  text::Tokenizer tokenizer = text::Tokenizer::from_vocab_file(kTiny + "/vocab.txt");
  std::map<std::string, torch::Tensor> golden;
  std::vector<std::vector<int32_t>> ids;
  Fixture() {
    for (auto& [name, t] : load_safetensors(kGolden + "/forward.safetensors").tensors)
      golden[name] = t;
    std::ifstream in(kGolden + "/forward_texts.json");
    const auto texts = nlohmann::json::parse(in)["texts"].get<std::vector<std::string>>();
    ids = tokenize_texts(tokenizer, texts, 512).ids;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

TEST(Embedder, TokenizesLikeTheGoldenInputIds) {
  auto& f = fixture();
  const auto golden_ids = f.golden.at("input_ids");
  const auto mask = f.golden.at("attention_mask");
  ASSERT_EQ(f.ids.size(), 8u);
  for (int64_t i = 0; i < 8; ++i) {
    const int64_t n = mask[i].sum().item<int64_t>();
    ASSERT_EQ(static_cast<int64_t>(f.ids[static_cast<size_t>(i)].size()), n) << "sentence " << i;
    for (int64_t j = 0; j < n; ++j)
      EXPECT_EQ(f.ids[static_cast<size_t>(i)][static_cast<size_t>(j)],
                golden_ids[i][j].item<int64_t>());
  }
}

class EmbedderBatchSize : public ::testing::TestWithParam<int64_t> {};

TEST_P(EmbedderBatchSize, MaskedDynamicMatchesGoldenPooled) {
  auto& f = fixture();
  EmbedOptions options;
  options.batch_size = GetParam();
  const auto result = embed_all(f.loaded.model->distilbert, f.ids, options);
  EXPECT_EQ(result.forwards, (8 + GetParam() - 1) / GetParam());
  ASSERT_EQ(result.by_strategy.size(), 5u);
  for (size_t s = 0; s < kAllStrategies.size(); ++s) {
    const std::string name = to_string(kAllStrategies[s]);
    EXPECT_LT(max_abs_diff(result.by_strategy[s], f.golden.at("pooled_" + name)), kTol) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(BatchSizes, EmbedderBatchSize, ::testing::Values(1, 3, 8));

TEST(Embedder, NotebookPoolingWithCorpusPaddingMatchesUnmaskedGolden) {
  auto& f = fixture();
  EmbedOptions options;
  options.batch_size = 3;
  options.pooling = PoolingMode::kNotebook;
  options.padding = PaddingMode::kCorpus;
  options.corpus_length = 65;
  options.strategies = {Strategy::LAST_MEAN, Strategy::LAST_MAX, Strategy::LAST2_MEAN,
                        Strategy::LAST2_MAX};
  const auto result = embed_all(f.loaded.model->distilbert, f.ids, options);
  for (size_t s = 0; s < options.strategies.size(); ++s) {
    const std::string name = to_string(options.strategies[s]);
    EXPECT_LT(max_abs_diff(result.by_strategy[s], f.golden.at("pooled_" + name + "_unmasked_seed")),
              kTol)
        << name;
  }
  // And the notebook numbers really depend on padding: dynamic padding gives others.
  options.padding = PaddingMode::kDynamic;
  const auto dynamic = embed_all(f.loaded.model->distilbert, f.ids, options);
  EXPECT_GT(max_abs_diff(dynamic.by_strategy[0], f.golden.at("pooled_LAST_MEAN_unmasked_seed")),
            1e-3);
}

TEST(Embedder, RowsOfWholeBatchesReproduceTheFullRun) {
  auto& f = fixture();
  EmbedOptions options;
  options.batch_size = 3;
  options.strategies = {Strategy::LAST_MAX};
  const auto full = embed_all(f.loaded.model->distilbert, f.ids, options);
  std::vector<int64_t> all(8);
  for (int64_t i = 0; i < 8; ++i) all[static_cast<size_t>(i)] = i;
  const auto plan = plan_batches(f.ids, all, 3);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0][0], 4);  // the longest sentence (65 tokens) comes first
  const auto shard = embed_rows(f.loaded.model->distilbert, f.ids, plan[1], options);
  EXPECT_EQ(shard.forwards, 1);
  for (size_t r = 0; r < plan[1].size(); ++r) {
    EXPECT_LT(max_abs_diff(shard.by_strategy[0][static_cast<int64_t>(r)],
                           full.by_strategy[0][plan[1][r]]),
              1e-6);
  }
}

TEST(Embedder, CountsTruncatedTextsAndKeepsSepLast) {
  auto& f = fixture();
  const auto tokens = tokenize_texts(f.tokenizer, {"a b c d e f", "a b"}, 5);
  EXPECT_EQ(tokens.truncated, 1);
  EXPECT_EQ(tokens.ids[0], f.tokenizer.encode("a b c d e f", 5));
  EXPECT_EQ(tokens.ids[0].size(), 5u);
  EXPECT_EQ(tokens.ids[0].back(), f.tokenizer.sep_id());
  EXPECT_EQ(tokens.ids[1].size(), 4u);
}

TEST(Embedder, RejectsSequencesLongerThanThePositionTable) {
  auto& f = fixture();
  std::vector<std::vector<int32_t>> ids = {std::vector<int32_t>(129, 1000)};
  try {
    embed_all(f.loaded.model->distilbert, ids, EmbedOptions{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("129 tokens"), std::string::npos) << e.what();
  }
}

TEST(Embedder, FingerprintChangesWithEachInput) {
  FingerprintInputs in;
  in.weights_path = kTiny + "/model.safetensors";
  in.vocab_path = kTiny + "/vocab.txt";
  in.data_files = {{"forward_texts.json", kGolden + "/forward_texts.json"}};
  in.label_map = {{"hate", 1}, {"noHate", 0}};
  const std::string base = embedding_fingerprint(in);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(embedding_fingerprint(in), base);
  auto changed = in;
  changed.max_length = 128;
  EXPECT_NE(embedding_fingerprint(changed), base);
  changed = in;
  changed.padding = PaddingMode::kCorpus;
  EXPECT_NE(embedding_fingerprint(changed), base);
  changed = in;
  changed.data_files[0].first = "other.json";
  EXPECT_NE(embedding_fingerprint(changed), base);
  changed = in;
  changed.vocab_path = kGolden + "/README.md";
  EXPECT_NE(embedding_fingerprint(changed), base);
}

// The canonical text of version 2, written out here: files made before the strategy set
// counted keep their fingerprint when the set is all five.
TEST(Embedder, FingerprintOfAllFiveStrategiesIsTheVersion2Text) {
  FingerprintInputs in;
  in.weights_path = kTiny + "/model.safetensors";
  in.vocab_path = kTiny + "/vocab.txt";
  in.data_files = {{"forward_texts.json", kGolden + "/forward_texts.json"}};
  in.label_map = {{"hate", 1}, {"noHate", 0}};
  const std::string text =
      "bertgrid-embeddings-v2\nweights file " + sha256_file_hex(in.weights_path) + "\nvocab " +
      sha256_file_hex(in.vocab_path) + "\nmax_length 512\n" + "file 18:forward_texts.json " +
      sha256_file_hex(kGolden + "/forward_texts.json") + "\n" +
      "label 4:hate 1\nlabel 6:noHate 0\n" + "pooling masked\npadding dynamic\nprecision fp32\n";
  EXPECT_EQ(embedding_fingerprint(in), sha256_hex(text));
  // Any order of the five is the same set.
  auto reordered = in;
  reordered.strategies = {Strategy::LAST2_MAX, Strategy::CLS, Strategy::LAST_MAX,
                          Strategy::LAST2_MEAN, Strategy::LAST_MEAN};
  EXPECT_EQ(embedding_fingerprint(reordered), sha256_hex(text));
  // A subset adds its line.
  auto subset = in;
  subset.strategies = {Strategy::LAST_MEAN, Strategy::CLS};
  EXPECT_EQ(embedding_fingerprint(subset), sha256_hex(text + "strategies CLS,LAST_MEAN\n"));
  subset.strategies.push_back(Strategy::CLS);  // a duplicate changes nothing
  EXPECT_EQ(embedding_fingerprint(subset), sha256_hex(text + "strategies CLS,LAST_MEAN\n"));
  EXPECT_EQ(fingerprint_embeddings(subset).fields.at("strategies"), "CLS,LAST_MEAN");
}

TEST(Embedder, FingerprintDifferenceNamesEachFieldThatDiffers) {
  FingerprintInputs in;
  in.weights_path = kTiny + "/model.safetensors";
  in.vocab_path = kTiny + "/vocab.txt";
  in.data_files = {{"forward_texts.json", kGolden + "/forward_texts.json"}};
  const auto base = fingerprint_embeddings(in);
  EXPECT_EQ(fingerprint_difference(base.fields, base.fields, "F"), "");
  auto changed = in;
  changed.max_length = 64;
  changed.strategies = {Strategy::CLS};
  EXPECT_EQ(fingerprint_difference(base.fields, fingerprint_embeddings(changed).fields, "F"),
            "max_length: '512' in F, '64' wanted; strategies: "
            "'CLS,LAST_MEAN,LAST_MAX,LAST2_MEAN,LAST2_MAX' in F, 'CLS' wanted");
  changed = in;
  changed.data_files[0].first = "renamed.json";
  const auto diff =
      fingerprint_difference(base.fields, fingerprint_embeddings(changed).fields, "F");
  EXPECT_EQ(diff.rfind("data_files: '1 files, ", 0), 0u) << diff;
  EXPECT_EQ(diff.find("max_length"), std::string::npos) << diff;
}

// A small architecture and an encoder of it drawn from `seed`.
DistilBertConfig small_arch() {
  DistilBertConfig arch;
  arch.vocab_size = 100;
  arch.dim = 32;
  arch.n_layers = 2;
  arch.n_heads = 4;
  arch.hidden_dim = 64;
  arch.max_position_embeddings = 64;
  return arch;
}

DistilBertModel drawn(const DistilBertConfig& arch, uint64_t seed) {
  DistilBertModel m(arch);
  init_weights(*m, arch, seed);
  return m;
}

TEST(Embedder, RandomWeightsKeyFollowsSeedArchitectureAndDrawnValues) {
  const auto arch = small_arch();
  const std::string base = random_weights_key(*drawn(arch, 7), arch, 7);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(random_weights_key(*drawn(arch, 7), arch, 7), base);  // equal inputs, equal keys
  EXPECT_NE(random_weights_key(*drawn(arch, 8), arch, 8), base);  // the seed
  auto wider = arch;
  wider.hidden_dim = 128;
  EXPECT_NE(random_weights_key(*drawn(wider, 7), wider, 7), base);  // the architecture
  auto other_dropout = arch;  // same parameter shapes and values, another config
  other_dropout.dropout = 0.2;
  EXPECT_NE(random_weights_key(*drawn(arch, 7), other_dropout, 7), base);
  // Seed and architecture as before, other values (a generator that draws differently).
  EXPECT_NE(random_weights_key(*drawn(arch, 8), arch, 7), base);
  auto nudged = drawn(arch, 7);
  {
    torch::NoGradGuard no_grad;
    nudged->parameters().back().view({-1})[0].add_(1e-6);  // the last parameter's first value
  }
  EXPECT_NE(random_weights_key(*nudged, arch, 7), base);
}

TEST(Embedder, RandomWeightsKeySamplesTheFirstValuesOfEachParameter) {
  const auto arch = small_arch();
  auto m = drawn(arch, 7);
  const std::string base = random_weights_key(*m, arch, 7, /*sample=*/4);
  auto word = m->embeddings->word_embeddings->weight;  // [100, 32]
  torch::NoGradGuard no_grad;
  word.view({-1})[4].add_(1.0f);  // outside the 4-value sample
  EXPECT_EQ(random_weights_key(*m, arch, 7, 4), base);
  EXPECT_NE(random_weights_key(*m, arch, 7, 5), random_weights_key(*drawn(arch, 7), arch, 7, 5));
  word.view({-1})[3].add_(1.0f);  // inside it
  EXPECT_NE(random_weights_key(*m, arch, 7, 4), base);
  EXPECT_THROW(random_weights_key(*m, arch, 7, 0), Error);
}

TEST(Embedder, FingerprintTakesTheWeightsFileOrTheRandomKey) {
  FingerprintInputs in;
  in.weights_key = "k1";
  in.vocab_path = kTiny + "/vocab.txt";
  in.data_files = {{"forward_texts.json", kGolden + "/forward_texts.json"}};
  in.label_map = {{"hate", 1}, {"noHate", 0}};
  // The format, pinned: changing what a fingerprint means must change its version line.
  const std::string text =
      "bertgrid-embeddings-v2\nweights random k1\nvocab " + sha256_file_hex(in.vocab_path) +
      "\nmax_length 512\n" + "file 18:forward_texts.json " +
      sha256_file_hex(kGolden + "/forward_texts.json") +
      "\nlabel 4:hate 1\nlabel 6:noHate 0\npooling masked\n" + "padding dynamic\nprecision fp32\n";
  const std::string base = embedding_fingerprint(in);
  EXPECT_EQ(base, sha256_hex(text));
  auto changed = in;
  changed.weights_key = "k2";
  EXPECT_NE(embedding_fingerprint(changed), base);
  changed = in;
  changed.weights_key.clear();
  changed.weights_path = kTiny + "/model.safetensors";
  EXPECT_NE(embedding_fingerprint(changed), base);
  changed.weights_key = "k1";  // both
  try {
    embedding_fingerprint(changed);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exactly one of weights_path"), std::string::npos)
        << e.what();
  }
  changed.weights_key.clear();  // neither
  changed.weights_path.clear();
  EXPECT_THROW(embedding_fingerprint(changed), Error);
}

}  // namespace
}  // namespace bertgrid::model
