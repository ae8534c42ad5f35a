// Tests for packed batches (model/packing.h): the layout, and the tiny golden DistilBERT on
// sentences of mixed lengths, packed against padded with dropout off: hidden states, logits and
// pooled embeddings within 1e-5 absolute, the loss within 1e-5 relative, every gradient within
// 1e-5 absolute. The observed maxima are recorded as test properties.
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "model/distilbert.h"
#include "model/embedder.h"
#include "model/packing.h"
#include "model/safetensors.h"
#include "tests/tensor_compare.h"

namespace bertgrid::model {
using bertgrid::testing::max_abs_diff;
using bertgrid::testing::sci;

namespace {

const std::string kGolden = std::string(BERTGRID_SHARED_DIR) + "/golden/";
constexpr double kTol = 1e-5;

DistilBertForSequenceClassification tiny_model() {
  auto model = DistilBertForSequenceClassification(
      config_from_json_file(kGolden + "tiny-distilbert/config.json"));
  std::map<std::string, torch::Tensor> weights;
  for (auto& [name, t] : load_safetensors(kGolden + "tiny-distilbert/model.safetensors").tensors)
    weights[name] = t;
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) p.value().copy_(weights.at(p.key()));
  model->eval();  // dropout off; gradients still flow
  return model;
}

// The golden forward batch's sentences (lengths 41, 29, 29, 11, 65, 46, 20, 37), as token lists,
// and their labels.
struct Sentences {
  std::vector<std::vector<int64_t>> ids;
  torch::Tensor labels;
};

Sentences golden_sentences() {
  auto file = load_safetensors(kGolden + "forward.safetensors");
  const auto ids = file.find("input_ids")->to(torch::kInt64);
  const auto mask = file.find("attention_mask")->to(torch::kInt64);
  Sentences s;
  for (int64_t r = 0; r < ids.size(0); ++r) {
    s.ids.emplace_back();
    for (int64_t c = 0; c < ids.size(1); ++c)
      if (mask[r][c].item<int64_t>() != 0) s.ids.back().push_back(ids[r][c].item<int64_t>());
  }
  s.labels = file.find("labels")->to(torch::kInt64);
  return s;
}

std::vector<int64_t> all_rows(size_t n) {
  std::vector<int64_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = static_cast<int64_t>(i);
  return rows;
}

// The same sentences padded: input_ids and attention_mask [n, longest].
std::pair<torch::Tensor, torch::Tensor> padded(const std::vector<std::vector<int64_t>>& ids) {
  size_t longest = 0;
  for (const auto& s : ids) longest = std::max(longest, s.size());
  const auto n = static_cast<int64_t>(ids.size());
  auto input = torch::zeros({n, static_cast<int64_t>(longest)}, torch::kInt64);
  auto mask = torch::zeros_like(input);
  for (int64_t r = 0; r < n; ++r)
    for (size_t c = 0; c < ids[static_cast<size_t>(r)].size(); ++c) {
      input[r][static_cast<int64_t>(c)] = ids[static_cast<size_t>(r)][c];
      mask[r][static_cast<int64_t>(c)] = 1;
    }
  return {input, mask};
}

// Max |a - b| over the real tokens of [n, L, dim] states (mask [n, L]).
double max_diff_on_tokens(const torch::Tensor& a, const torch::Tensor& b,
                          const torch::Tensor& mask) {
  const auto keep = mask.unsqueeze(-1).to(torch::kBool);
  return (a - b).abs().masked_fill(keep.logical_not(), 0).max().item<double>();
}

}  // namespace

TEST(Packing, FirstFitDecreasingFillsRowsLongestFirst) {
  const PackLayout layout = plan_packing({5, 3, 8, 2, 4}, 10);
  EXPECT_EQ(layout.rows, 3);  // 8 + 2 | 5 + 4 | 3: the 3 comes before the 2 and fits nowhere
  EXPECT_EQ(layout.row, (std::vector<int64_t>{1, 2, 0, 0, 1}));
  EXPECT_EQ(layout.start, (std::vector<int64_t>{0, 0, 0, 8, 5}));
}

TEST(Packing, RowsAreTheLongestSentenceAtLeastAndRoundedUp) {
  EXPECT_EQ(packed_row_length(41, {}), 41);
  EXPECT_EQ(packed_row_length(41, {128}), 128);
  EXPECT_EQ(packed_row_length(41, {0, 32}), 64);
  EXPECT_EQ(packed_row_length(130, {128, 32}), 160);
  EXPECT_THROW(packed_row_length(41, {0, 0}), Error);
}

TEST(Packing, RejectsSentencesThatDoNotFit) {
  EXPECT_THROW(plan_packing({4, 11}, 10), Error);
  EXPECT_THROW(plan_packing({0}, 10), Error);
  EXPECT_THROW(plan_packing({}, 10), Error);
  const std::vector<std::vector<int32_t>> ids{{1, 2, 3}, {4, 5, 6, 7, 8, 9}};
  try {
    pack_sentences(ids, {0, 1}, 0, PackRows{8, 1, /*max_positions=*/5});
    FAIL() << "a sentence longer than the positions was packed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("6 tokens, more than max_position_embeddings 5"),
              std::string::npos)
        << e.what();
  }
}

TEST(Packing, PositionsRestartAndTailsAreSegmentsOfTheirOwn) {
  const std::vector<std::vector<int32_t>> ids{{7, 8, 9}, {4, 5}, {6, 6, 6, 6}};
  const PackedBatch b = pack_sentences(ids, {0, 1, 2}, /*pad_id=*/0, PackRows{/*at_least=*/6});
  // Longest first: row 0 = sentence 2 (4 tokens) + sentence 1 (2); row 1 = sentence 0 + tail.
  EXPECT_TRUE(
      torch::equal(b.input_ids, torch::tensor({6, 6, 6, 6, 4, 5, 7, 8, 9, 0, 0, 0}).view({2, 6})));
  EXPECT_TRUE(torch::equal(b.position_ids,
                           torch::tensor({0, 1, 2, 3, 0, 1, 0, 1, 2, 0, 0, 0}).view({2, 6})));
  EXPECT_TRUE(torch::equal(b.segment_ids,
                           torch::tensor({2, 2, 2, 2, 1, 1, 0, 0, 0, 4, 4, 4}).view({2, 6})));
  EXPECT_TRUE(torch::equal(b.cls_index, torch::tensor({6, 4, 0})));
  EXPECT_TRUE(
      torch::equal(b.token_mask, torch::tensor({1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1}).view({3, 4})));
  EXPECT_TRUE(torch::equal(b.token_index,
                           torch::tensor({6, 7, 8, 6, 4, 5, 4, 4, 0, 1, 2, 3}).view({3, 4})));
  // The block-diagonal mask: the tail attends only to itself, sentences only to themselves.
  const auto blocked = blocked_segments(b.segment_ids);
  EXPECT_EQ(blocked.sizes(), (std::vector<int64_t>{2, 1, 6, 6}));
  EXPECT_FALSE(blocked[1][0][4][5].item<bool>());
  EXPECT_TRUE(blocked[1][0][4][2].item<bool>());
  EXPECT_TRUE(blocked[0][0][0][4].item<bool>());
}

TEST(Packing, HiddenStatesAndLogitsMatchPaddedOnTheGoldenModel) {
  auto model = tiny_model();
  const Sentences s = golden_sentences();
  const auto [input_ids, mask] = padded(s.ids);
  torch::NoGradGuard no_grad;
  const auto want = model->forward_with_hidden(input_ids, mask);
  // Rows of twice the longest sentence, so that some hold two sentences.
  const PackedBatch b =
      pack_sentences(s.ids, all_rows(s.ids.size()), 0, PackRows{2 * input_ids.size(1)});
  ASSERT_LT(b.input_ids.size(0), input_ids.size(0));
  const auto states = model->distilbert->forward_packed(b.input_ids, b.position_ids, b.segment_ids);
  ASSERT_EQ(states.size(), want.hidden_states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    const double diff =
        max_diff_on_tokens(unpack_states(states[i], b), want.hidden_states[i], mask);
    RecordProperty("max_abs_diff_hidden_state_" + std::to_string(i), sci(diff));
    EXPECT_LT(diff, kTol) << "hidden state " << i;
  }
  const auto logits =
      model->forward_packed(b.input_ids, b.position_ids, b.segment_ids, b.cls_index);
  const double diff = max_abs_diff(logits, want.logits);
  RecordProperty("max_abs_diff_logits", sci(diff));
  EXPECT_LT(diff, kTol);
}

TEST(Packing, LossAndGradientsMatchPadded) {
  auto padded_model = tiny_model();
  auto packed_model = tiny_model();
  const Sentences s = golden_sentences();
  const auto [input_ids, mask] = padded(s.ids);
  const auto ce = [&](const torch::Tensor& logits) {
    return torch::nn::functional::cross_entropy(
        logits, s.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  };
  const auto loss_padded = ce(padded_model->forward(input_ids, mask));
  loss_padded.backward();
  const PackedBatch b =
      pack_sentences(s.ids, all_rows(s.ids.size()), 0, PackRows{2 * input_ids.size(1)});
  const auto loss_packed =
      ce(packed_model->forward_packed(b.input_ids, b.position_ids, b.segment_ids, b.cls_index));
  loss_packed.backward();

  const double want = loss_padded.item<double>();
  const double relative = std::abs(loss_packed.item<double>() - want) / std::abs(want);
  RecordProperty("loss_relative_diff", sci(relative));
  EXPECT_LT(relative, kTol);
  const auto a = padded_model->named_parameters();
  const auto p = packed_model->named_parameters();
  double worst = 0;
  int compared = 0;
  for (const auto& item : a) {
    if (!item.value().grad().defined()) continue;  // frozen sinusoids, if any
    const auto& other = p[item.key()].grad();
    ASSERT_TRUE(other.defined()) << item.key();
    const double diff = max_abs_diff(other, item.value().grad());
    EXPECT_LT(diff, kTol) << item.key();
    worst = std::max(worst, diff);
    ++compared;
  }
  EXPECT_GT(compared, 30);
  RecordProperty("max_abs_diff_gradient", sci(worst));
}

TEST(Packing, PooledEmbeddingsMatchPadded) {
  auto model = tiny_model();
  const Sentences s = golden_sentences();
  std::vector<std::vector<int32_t>> ids;
  for (const auto& sentence : s.ids) ids.emplace_back(sentence.begin(), sentence.end());
  EmbedOptions options;
  // One batch: rows of 65 tokens, 65 | 46 + 11 | 41 + 20 | 37 + 29 | 29.
  options.batch_size = 8;
  const auto want = embed_all(model->distilbert, ids, options);
  options.packed = true;
  const auto got = embed_all(model->distilbert, ids, options);
  ASSERT_EQ(got.by_strategy.size(), kAllStrategies.size());
  for (size_t i = 0; i < kAllStrategies.size(); ++i) {
    const double diff = max_abs_diff(got.by_strategy[i], want.by_strategy[i]);
    RecordProperty("max_abs_diff_" + to_string(kAllStrategies[i]), sci(diff));
    EXPECT_LT(diff, kTol) << to_string(kAllStrategies[i]);
  }
}

}  // namespace bertgrid::model
