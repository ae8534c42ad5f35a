// The head job on sentence embeddings: learns a separable signal, is deterministic, names
// missing rows, and trains on the validation-carved train split.
#include <gtest/gtest.h>

#include <filesystem>

#include "jobs/head.h"
#include "model/safetensors.h"
#include "tests/job_fixture.h"
#include "train/validation_split.h"

using namespace bertgrid;
using namespace bertgrid::testing;

namespace {

// Embeddings whose first coordinate carries the label (plus noise): a head must learn it.
io::SplitEmbeddings fake_split(const jobs::TokenizedSplit& split, int64_t dim, uint64_t seed) {
  torch::manual_seed(seed);
  io::SplitEmbeddings s;
  s.file_ids = split.file_ids;
  for (auto l : split.labels) s.labels.push_back(static_cast<int32_t>(l));
  auto x = torch::randn({split.size(), dim}) * 0.1;
  auto y = torch::tensor(split.labels, torch::kFloat);
  x.select(1, 0).copy_(y * 2 - 1);
  s.by_strategy["CLS"] = x;
  return s;
}

io::EmbeddingsFile fake_embeddings(const jobs::PreparedData& data, int64_t dim) {
  io::EmbeddingsFile f;
  f.splits["train"] = fake_split(data.train, dim, 1);
  f.splits["test"] = fake_split(data.test, dim, 2);
  return f;
}

jobs::JobSpec head_spec(const RunConfig& cfg) {
  auto spec = jobs::spec_from_config(JobKind::kHead, cfg.embeddings.head);
  spec.strategy = "CLS";
  spec.epochs = 4;
  spec.learning_rate = 1e-2;
  spec.job_id = jobs::make_job_id(spec);
  return spec;
}

}  // namespace

TEST(HeadJob, LearnsASeparableSignalDeterministically) {
  const auto cfg = tiny_config();
  const auto data = tiny_data(cfg);
  const auto emb = fake_embeddings(data, cfg.model.arch.dim);
  TempDir a, b;
  auto ra = jobs::run_head(head_spec(cfg), tiny_env(cfg, data, a / "job"), emb);
  auto rb = jobs::run_head(head_spec(cfg), tiny_env(cfg, data, b / "job"), emb);
  ASSERT_EQ(ra.record.status, JobStatus::kOk);
  EXPECT_EQ(ra.record.strategy, "CLS");
  EXPECT_EQ(ra.record.kind, JobKind::kHead);
  EXPECT_GE(ra.record.eval_accAll, 0.95);
  EXPECT_LT(ra.record.eval_loss, 0.55);  // chance is ln 2 = 0.693
  EXPECT_EQ(ra.record.eval_loss, rb.record.eval_loss);
  EXPECT_EQ(ra.record.eval_train_loss, rb.record.eval_train_loss);
  auto head = model::load_safetensors(a / "job/head.safetensors");
  EXPECT_EQ(head.tensors.size(), 4u);
  EXPECT_NE(head.find("pre_classifier.weight"), nullptr);
  EXPECT_EQ(head.metadata.at("strategy"), "CLS");
}

TEST(HeadJob, NamesASentenceMissingFromTheEmbeddings) {
  const auto cfg = tiny_config();
  const auto data = tiny_data(cfg);
  auto emb = fake_embeddings(data, cfg.model.arch.dim);
  auto& test = emb.splits["test"];
  test.file_ids[3] = "nope";
  TempDir dir;
  try {
    jobs::run_head(head_spec(cfg), tiny_env(cfg, data, dir / "job"), emb);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no row for sampled_test sentence '" +
                                         data.test.file_ids[3] + "' in /test"),
              std::string::npos)
        << e.what();
  }
}

TEST(HeadJob, ValidationRowsComeFromTrainEmbeddings) {
  auto cfg = tiny_config();
  cfg.data.validation_fraction = 0.25;
  const auto data = tiny_data(cfg);
  ASSERT_TRUE(data.validation.has_value());
  EXPECT_EQ(data.validation->size() + data.train.size(), 96);
  // The embeddings file holds the whole train split (before the carve).
  auto full_cfg = tiny_config();
  const auto full = tiny_data(full_cfg);
  const auto emb = fake_embeddings(full, cfg.model.arch.dim);
  TempDir dir;
  auto r = jobs::run_head(head_spec(cfg), tiny_env(cfg, data, dir / "job"), emb);
  ASSERT_EQ(r.record.status, JobStatus::kOk);
  ASSERT_TRUE(r.record.val_loss.has_value());
  EXPECT_GE(*r.record.val_accAll, 0.9);
}

TEST(ValidationSplit, StratifiedSeededAndDisjoint) {
  std::vector<int64_t> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i < 30 ? 1 : 0);
  auto s = train::stratified_split(labels, 0.2, 5);
  ASSERT_EQ(s.validation.size(), 20u);  // 6 of 30 hate, 14 of 70 noHate
  ASSERT_EQ(s.train.size(), 80u);
  int hate = 0;
  for (auto r : s.validation) hate += labels[r] == 1;
  EXPECT_EQ(hate, 6);
  std::vector<int64_t> all(s.train);
  all.insert(all.end(), s.validation.begin(), s.validation.end());
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(all[i], i);
  EXPECT_EQ(train::stratified_split(labels, 0.2, 5).validation, s.validation);
  EXPECT_NE(train::stratified_split(labels, 0.2, 6).validation, s.validation);
}
