// The fine-tune job end to end on the tiny grid: determinism, stop and exact resume, outputs,
// the saved model's logits.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "jobs/finetune.h"
#include "jobs/run_job.h"
#include "model/hf_dir.h"
#include "model/safetensors.h"
#include "tests/job_fixture.h"
#include "text/dataset.h"

#include <nlohmann/json.hpp>
#include <sstream>

using namespace bertgrid;
using namespace bertgrid::testing;

namespace {

jobs::JobSpec tiny_spec(const RunConfig& cfg, int64_t epochs) {
  auto spec = jobs::spec_from_config(JobKind::kFinetune, cfg.finetune);
  spec.epochs = epochs;
  spec.job_id = jobs::make_job_id(spec);
  return spec;
}

void expect_same_metrics(const JobRecord& a, const JobRecord& b) {
  EXPECT_EQ(a.eval_loss, b.eval_loss);
  EXPECT_EQ(a.eval_train_loss, b.eval_train_loss);
  EXPECT_EQ(a.eval_accAll, b.eval_accAll);
  EXPECT_EQ(a.eval_accHate, b.eval_accHate);
  EXPECT_EQ(a.confusion, b.confusion);
}

// One epoch of the tiny fine-tune with `adjust` applied to its execution; dropout off unless
// asked for (its draws follow the tensor shapes).
jobs::JobOutcome one_epoch(const std::function<void(train::Execution&)>& adjust, bool dropout) {
  auto cfg = tiny_config();
  if (!dropout)
    cfg.model.arch.dropout = cfg.model.arch.attention_dropout = cfg.model.arch.seq_classif_dropout =
        0;
  const auto data = tiny_data(cfg);
  TempDir dir;
  auto env = tiny_env(cfg, data, dir / "job");
  adjust(env.exec);
  auto outcome = jobs::run_finetune(tiny_spec(cfg, 1), env);
  EXPECT_EQ(outcome.record.status, JobStatus::kOk);
  return outcome;
}

// Every logged loss and the final eval loss within 1e-5 relative.
void expect_same_losses_up_to_rounding(const jobs::JobOutcome& want, const jobs::JobOutcome& got,
                                       const std::string& what) {
  ASSERT_EQ(got.history.size(), want.history.size()) << what;
  for (size_t i = 0; i < want.history.size(); ++i)
    EXPECT_NEAR(got.history[i].loss, want.history[i].loss, 1e-5 * want.history[i].loss)
        << what << ": " << to_string(want.history[i].kind) << " step " << want.history[i].step;
  EXPECT_NEAR(got.record.eval_loss, want.record.eval_loss, 1e-5 * want.record.eval_loss) << what;
}

}  // namespace

TEST(FinetuneJob, IsDeterministicForASeedAndWritesItsOutputs) {
  const auto cfg = tiny_config();
  const auto data = tiny_data(cfg);
  ASSERT_EQ(data.train.size(), 96);
  ASSERT_EQ(data.test.size(), 48);
  TempDir a, b;
  const auto spec = tiny_spec(cfg, 2);
  auto ra = jobs::run_finetune(spec, tiny_env(cfg, data, a / "job"));
  auto rb = jobs::run_finetune(spec, tiny_env(cfg, data, b / "job"));
  ASSERT_EQ(ra.record.status, JobStatus::kOk);
  expect_same_metrics(ra.record, rb.record);
  EXPECT_EQ(ra.local_examples, 2 * 96);
  // 96 / 16 = 6 steps an epoch, logged every 2: 6 train entries and one eval per epoch.
  int train_entries = 0, eval_entries = 0;
  for (const auto& h : ra.history) (h.kind == HistoryKind::kTrain ? train_entries : eval_entries)++;
  EXPECT_EQ(train_entries, 6);
  EXPECT_EQ(eval_entries, 2);
  for (const char* f : {"record.json", "history.csv", "predictions.csv", "model/config.json",
                        "model/model.safetensors", "model/vocab.txt"})
    EXPECT_TRUE(std::filesystem::exists(a / (std::string("job/") + f))) << f;
  EXPECT_FALSE(std::filesystem::exists(a / "job/checkpoint.safetensors"));
  // predictions.csv: a header and one line per test sentence.
  const std::string preds = read_file(a / "job/predictions.csv");
  EXPECT_EQ(std::count(preds.begin(), preds.end(), '\n'), 49);
  // The accuracies agree with the confusion matrix.
  const auto& c = ra.record.confusion;
  EXPECT_DOUBLE_EQ(ra.record.eval_accAll, double(c[0][0] + c[1][1]) / 48.0);
  EXPECT_DOUBLE_EQ(ra.record.eval_accHate, double(c[1][1]) / double(c[1][0] + c[1][1]));
}

TEST(FinetuneJob, StoppedMidEpochResumesToTheSameMetrics) {
  const auto cfg = tiny_config();
  const auto data = tiny_data(cfg);
  const auto spec = tiny_spec(cfg, 2);
  TempDir whole, parts;
  auto uninterrupted = jobs::run_finetune(spec, tiny_env(cfg, data, whole / "job"));

  auto env = tiny_env(cfg, data, parts / "job");
  int calls = 0;
  env.context.stop = [&] { return calls++ >= 4; };  // stop after 4 of epoch 1's 6 steps
  auto first = jobs::run_finetune(spec, env);
  ASSERT_TRUE(first.stopped);
  EXPECT_EQ(first.record.status, JobStatus::kStopped);
  ASSERT_TRUE(std::filesystem::exists(parts / "job/checkpoint.safetensors"));

  auto resumed_env = tiny_env(cfg, data, parts / "job");
  resumed_env.resume = true;
  auto second = jobs::run_finetune(spec, resumed_env);
  EXPECT_EQ(second.resumed_from_step, 4);
  ASSERT_EQ(second.record.status, JobStatus::kOk);
  expect_same_metrics(second.record, uninterrupted.record);
  ASSERT_EQ(second.history.size(), uninterrupted.history.size());
  for (size_t i = 0; i < second.history.size(); ++i)
    EXPECT_EQ(second.history[i].loss, uninterrupted.history[i].loss) << i;
  // The final weights are bit-identical too.
  auto w1 = model::load_safetensors(whole / "job/model/model.safetensors");
  auto w2 = model::load_safetensors(parts / "job/model/model.safetensors");
  for (const auto& [name, t] : w1.tensors) EXPECT_TRUE(torch::equal(t, *w2.find(name))) << name;
}

TEST(FinetuneJob, SavedModelReloadsWithIdenticalLogits) {
  const auto cfg = tiny_config();
  const auto data = tiny_data(cfg);
  TempDir dir;
  auto spec = tiny_spec(cfg, 1);
  auto out = jobs::run_finetune(spec, tiny_env(cfg, data, dir / "job"));
  ASSERT_EQ(out.record.status, JobStatus::kOk);
  auto loaded = model::load_pretrained(dir / "job/model", 0);
  EXPECT_TRUE(loaded.newly_initialised.empty());
  // predictions.csv holds P(hate) from the trained model; the reloaded one must give the same.
  auto ids = torch::tensor(std::vector<int64_t>(data.test.ids[0].begin(), data.test.ids[0].end()))
                 .unsqueeze(0);
  torch::NoGradGuard no_grad;
  const double p =
      torch::softmax(loaded.model->forward(ids, torch::ones_like(ids)), 1)[0][1].item<double>();
  const std::string preds = read_file(dir / "job/predictions.csv");
  const auto line = preds.substr(preds.find('\n') + 1);
  const auto p_saved = std::stod(line.substr(line.find(',', line.find(',') + 1) + 1));
  EXPECT_NEAR(p, p_saved, 1e-6);  // predictions.csv keeps 9 significant digits
}

TEST(FinetuneJob, PredictOverTheTestSplitReproducesAccAll) {
  const auto cfg = tiny_config();
  const auto data = tiny_data(cfg);
  TempDir dir;
  auto out = jobs::run_finetune(tiny_spec(cfg, 2), tiny_env(cfg, data, dir / "job"));
  ASSERT_EQ(out.record.status, JobStatus::kOk);
  // The same sentences, as a user would send them to `bertgrid predict`.
  text::LabelMap labels;
  auto examples = text::read_vicomtech_split(cfg.data.dir, cfg.data.test_split, labels);
  examples.resize(static_cast<size_t>(cfg.data.limit_test));
  std::string input;
  for (const auto& ex : examples) input += nlohmann::json{{"text", ex.text}}.dump() + "\n";
  auto r = run_bertgrid(dir,
                        "predict --model " + dir / "job/model" + " --max-length " +
                            std::to_string(cfg.data.max_length),
                        input);
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  size_t i = 0, correct = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    const int predicted = j.at("label") == "hate" ? 1 : 0;
    correct += predicted == examples.at(i).label;
    ++i;
  }
  ASSERT_EQ(i, examples.size());
  EXPECT_DOUBLE_EQ(double(correct) / double(i), out.record.eval_accAll);
}

// run.epoch_checkpoints: on (default), the checkpoint is on disk once the first epoch ends; off,
// no checkpoint is written at epoch ends (a stop signal still writes one, as above).
TEST(FinetuneJob, EpochCheckpointsOnlyWhenConfigured) {
  for (const bool on : {true, false}) {
    auto cfg = tiny_config();
    cfg.run.epoch_checkpoints = on;
    const auto data = tiny_data(cfg);
    const auto spec = tiny_spec(cfg, 2);
    TempDir dir;
    auto env = tiny_env(cfg, data, dir / "job");
    int calls = 0;
    bool seen_after_epoch_one = false;
    env.context.stop = [&] {
      if (++calls == 8)  // before step 8: epoch 1 (6 steps) has ended
        seen_after_epoch_one = std::filesystem::exists(dir / "job/checkpoint.safetensors");
      return false;
    };
    auto outcome = jobs::run_finetune(spec, env);
    ASSERT_EQ(outcome.record.status, JobStatus::kOk);
    EXPECT_EQ(seen_after_epoch_one, on) << "epoch_checkpoints = " << on;
  }
}

// run.pad_to_multiple_of pads token batches further; padding is masked, so without dropout (whose
// draws follow the tensor shapes) the job computes the same numbers up to float32 rounding of
// longer reductions: every logged loss and the final eval losses within 1e-5 relative. With
// dropout the draws differ, which shows the padding reached the batches.
TEST(FinetuneJob, PaddingToAMultipleChangesOnlyRounding) {
  auto run = [](int64_t multiple, bool dropout) {
    return one_epoch([&](train::Execution& exec) { exec.pad_to_multiple_of = multiple; }, dropout);
  };
  const auto exact = run(1, false);
  const auto padded = run(32, false);
  expect_same_losses_up_to_rounding(exact, padded, "padded to 32");
  EXPECT_NEAR(padded.record.eval_train_loss, exact.record.eval_train_loss,
              1e-5 * exact.record.eval_train_loss);
  EXPECT_NE(run(1, true).history.front().loss, run(32, true).history.front().loss);
}

// run.packing: without dropout, packed evaluations (auto) and packed training (on) give the
// padded run's losses and metrics up to float rounding; with dropout, packed training draws its
// masks over other shapes, so its losses differ.
TEST(FinetuneJob, PackingChangesOnlyRoundingWithoutDropout) {
  auto run = [](Packing packing, bool dropout) {
    return one_epoch([&](train::Execution& exec) { exec.packing = packing; }, dropout);
  };
  const auto padded = run(Packing::kOff, false);
  for (Packing packing : {Packing::kAuto, Packing::kOn}) {
    const auto packed = run(packing, false);
    expect_same_losses_up_to_rounding(padded, packed, to_string(packing));
    EXPECT_EQ(packed.record.confusion, padded.record.confusion) << to_string(packing);
  }
  const auto with_dropout = run(Packing::kOff, true);
  EXPECT_EQ(run(Packing::kAuto, true).history.front().loss, with_dropout.history.front().loss);
  EXPECT_NE(run(Packing::kOn, true).history.front().loss, with_dropout.history.front().loss);
}

// finetune.group_by_length: the job trains on HF's length-grouped batches, a different batch
// composition (so a different first logged loss) over the same rows and steps.
TEST(FinetuneJob, GroupByLengthRegroupsTheBatches) {
  auto run = [](bool grouped) {
    auto cfg = tiny_config();
    cfg.finetune.group_by_length = grouped;
    const auto data = tiny_data(cfg);
    TempDir dir;
    auto spec = tiny_spec(cfg, 1);
    auto outcome = jobs::run_finetune(spec, tiny_env(cfg, data, dir / "job"));
    EXPECT_EQ(outcome.record.status, JobStatus::kOk);
    return outcome;
  };
  const auto plain = run(false);
  const auto grouped = run(true);
  ASSERT_EQ(plain.history.size(), grouped.history.size());
  EXPECT_EQ(plain.local_examples, grouped.local_examples);
  EXPECT_NE(plain.history.front().loss, grouped.history.front().loss);
}

// A damaged checkpoint (truncated) is set aside as *.corrupt and the job starts again from step
// 0: the same result as an uninterrupted run, with a warning. Another format version is not
// damage: the job fails naming the file, which is kept.
TEST(FinetuneJob, DamagedCheckpointIsSetAsideAndTheJobStartsAgain) {
  const auto cfg = tiny_config();
  const auto data = tiny_data(cfg);
  const auto spec = tiny_spec(cfg, 1);
  TempDir whole, parts;
  const auto uninterrupted = jobs::run_finetune(spec, tiny_env(cfg, data, whole / "job"));
  auto env = tiny_env(cfg, data, parts / "job");
  int calls = 0;
  env.context.stop = [&] { return calls++ >= 3; };
  ASSERT_TRUE(jobs::run_finetune(spec, env).stopped);
  const std::string checkpoint = parts / "job/checkpoint.safetensors";
  const std::string bytes = read_file(checkpoint);
  parts.write("job/checkpoint.safetensors", bytes.substr(0, bytes.size() / 2));

  auto resumed_env = tiny_env(cfg, data, parts / "job");
  resumed_env.resume = true;
  const io::EmbeddingsFile none;
  const auto again = jobs::run_job(spec, resumed_env, none);
  ASSERT_EQ(again.record.status, JobStatus::kOk);
  EXPECT_EQ(again.resumed_from_step, 0);
  expect_same_metrics(again.record, uninterrupted.record);
  ASSERT_EQ(again.warnings.size(), 1u);
  EXPECT_NE(again.warnings[0].find("set aside as " + checkpoint + ".corrupt"), std::string::npos)
      << again.warnings[0];
  EXPECT_EQ(read_file(checkpoint + ".corrupt"), bytes.substr(0, bytes.size() / 2));

  // Another format version: an error, and the file stays where it is.
  model::save_safetensors(checkpoint, {{"params", torch::zeros({1})}},
                          {{"bertgrid_checkpoint", "{\"version\": 99}"}});
  const std::string err = error_of([&] { jobs::run_job(spec, resumed_env, none); });
  EXPECT_NE(err.find(checkpoint + ": checkpoint format 99, expected 1"), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::exists(checkpoint));
}
