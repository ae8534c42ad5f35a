#include "jobs/finetune.h"

#include "jobs/model_source.h"
#include "jobs/training_job.h"
#include "model/hf_dir.h"
#include "train/batching.h"

namespace bertgrid::jobs {
namespace {

using model::DistilBertForSequenceClassification;

// How token batches are padded: to the run's multiple, within the model's positions.
train::PadTo pad_to(const train::Execution& exec, const model::DistilBertConfig& arch) {
  return train::PadTo{exec.pad_to_multiple_of, arch.max_position_embeddings};
}

// Rows of a tokenized split -> a padded batch on the device -> logits.
torch::Tensor split_logits(DistilBertForSequenceClassification& model, const TokenizedSplit& split,
                           const std::vector<int64_t>& rows, int64_t pad_id,
                           const train::Execution& exec, const train::PadTo& pad) {
  auto batch = train::pad_batch(split.ids, split.labels, rows, pad_id, exec, pad);
  return model->forward(batch.input_ids, batch.attention_mask);
}

// The inputs are {input_ids, attention_mask, labels}, padded on the host.
class FinetuneTask : public train::TrainingTask {
 public:
  FinetuneTask(DistilBertForSequenceClassification model, const TokenizedSplit& train,
               int64_t pad_id, const train::PadTo& pad)
      : model_(std::move(model)), train_(train), pad_id_(pad_id), pad_(pad) {}

  torch::nn::Module& module() override { return *model_; }
  int64_t num_train() const override { return train_.size(); }
  train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    auto b = train::pad_batch(train_.ids, train_.labels, rows, pad_id_, torch::kCPU, pad_);
    return {b.input_ids, b.attention_mask, b.labels};
  }
  std::vector<int64_t> lengths() const override { return train_.lengths; }
  torch::Tensor loss_sum(const train::TaskInputs& in) override {
    auto logits = model_->forward(in.at(0), in.at(1));
    return torch::nn::functional::cross_entropy(
        logits, in.at(2), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  DistilBertForSequenceClassification model_;
  const TokenizedSplit& train_;
  int64_t pad_id_;
  train::PadTo pad_;
};

EvalSplit eval_split(DistilBertForSequenceClassification model, const TokenizedSplit& split,
                     int64_t pad_id, const train::Execution& exec, const train::PadTo& pad) {
  EvalSplit e;
  e.name = split.name;
  e.labels = split.labels;
  e.lengths = split.lengths;
  e.file_ids = split.file_ids;
  e.logits = [model, &split, pad_id, exec, pad](const std::vector<int64_t>& rows) mutable {
    return split_logits(model, split, rows, pad_id, exec, pad);
  };
  return e;
}

}  // namespace

JobOutcome run_finetune(const JobSpec& spec, const JobEnv& env) {
  const RunConfig& cfg = *env.config;
  const PreparedData& data = *env.data;
  const auto vocab = vocab_path(cfg);
  const auto arch = model_config(cfg, data.vocab_size);
  std::string report;
  auto model = make_classifier(cfg, arch, spec.init_seed, &report);
  if (!report.empty()) env.context.progress(spec.job_id + ": " + report);
  model->to(env.exec.device);

  const train::PadTo pad = pad_to(env.exec, arch);
  FinetuneTask task(model, data.train, data.pad_id, pad);
  TrainingJobParts parts;
  parts.task = &task;
  parts.train = eval_split(model, data.train, data.pad_id, env.exec, pad);
  parts.test = eval_split(model, data.test, data.pad_id, env.exec, pad);
  if (data.validation)
    parts.validation = eval_split(model, *data.validation, data.pad_id, env.exec, pad);
  if (cfg.run.save_models)
    parts.save_model = [&](const std::string& dir) {
      model::save_pretrained(dir + "/model", model, arch, vocab);
    };
  return run_training_job(spec, env, parts);
}

}  // namespace bertgrid::jobs
