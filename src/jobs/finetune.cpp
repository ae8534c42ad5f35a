#include "jobs/finetune.h"

#include "jobs/model_source.h"
#include "jobs/training_job.h"
#include "model/hf_dir.h"
#include "model/packing.h"
#include "train/batching.h"

namespace bertgrid::jobs {
namespace {

using model::DistilBertForSequenceClassification;

// How token batches are padded: to the run's multiple, within the model's positions; and how
// they are packed (model/packing.h): rows at least `row_length` long (0: the batch's longest),
// rounded to the same multiple.
struct TokenLayout {
  train::PadTo pad;
  bool packed = false;
  int64_t row_length = 0;
};

TokenLayout padded_layout(const train::Execution& exec, const model::DistilBertConfig& arch) {
  return TokenLayout{train::PadTo{exec.pad_to_multiple_of, arch.max_position_embeddings}};
}

model::PackedBatch pack(const TokenizedSplit& split, const std::vector<int64_t>& rows,
                        int64_t pad_id, const TokenLayout& layout) {
  return model::pack_sentences(split.ids, rows, pad_id,
                               {layout.row_length, layout.pad.multiple, layout.pad.limit});
}

// Rows of a tokenized split -> a padded or packed batch on the device -> logits.
torch::Tensor split_logits(DistilBertForSequenceClassification& model, const TokenizedSplit& split,
                           const std::vector<int64_t>& rows, int64_t pad_id,
                           const train::Execution& exec, const TokenLayout& layout) {
  if (layout.packed) {
    const auto b = pack(split, rows, pad_id, layout);
    return model->forward_packed(exec.to_device(b.input_ids), exec.to_device(b.position_ids),
                                 exec.to_device(b.segment_ids), exec.to_device(b.cls_index));
  }
  auto batch = train::pad_batch(split.ids, split.labels, rows, pad_id, exec, layout.pad);
  return model->forward(batch.input_ids, batch.attention_mask);
}

// The inputs are {input_ids, attention_mask, labels}, padded on the host, or packed:
// {input_ids, position_ids, segment_ids, cls_index, labels}.
class FinetuneTask : public train::TrainingTask {
 public:
  FinetuneTask(DistilBertForSequenceClassification model, const TokenizedSplit& train,
               int64_t pad_id, const TokenLayout& layout)
      : model_(std::move(model)), train_(train), pad_id_(pad_id), layout_(layout) {}

  torch::nn::Module& module() override { return *model_; }
  int64_t num_train() const override { return train_.size(); }
  train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    if (layout_.packed) {
      const auto b = pack(train_, rows, pad_id_, layout_);
      return {b.input_ids, b.position_ids, b.segment_ids, b.cls_index, labels_of(rows)};
    }
    auto b = train::pad_batch(train_.ids, train_.labels, rows, pad_id_, torch::kCPU, layout_.pad);
    return {b.input_ids, b.attention_mask, b.labels};
  }
  std::vector<int64_t> lengths() const override { return train_.lengths; }
  torch::Tensor loss_sum(const train::TaskInputs& in) override {
    const auto logits = layout_.packed
                            ? model_->forward_packed(in.at(0), in.at(1), in.at(2), in.at(3))
                            : model_->forward(in.at(0), in.at(1));
    return torch::nn::functional::cross_entropy(
        logits, in.back(), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  DistilBertForSequenceClassification model_;
  const TokenizedSplit& train_;
  int64_t pad_id_;
  TokenLayout layout_;

  torch::Tensor labels_of(const std::vector<int64_t>& rows) const {
    auto labels = torch::empty({static_cast<int64_t>(rows.size())}, torch::kInt64);
    for (size_t i = 0; i < rows.size(); ++i)
      labels[static_cast<int64_t>(i)] = train_.labels.at(static_cast<size_t>(rows[i]));
    return labels;
  }
};

EvalSplit eval_split(DistilBertForSequenceClassification model, const TokenizedSplit& split,
                     int64_t pad_id, const train::Execution& exec, const TokenLayout& layout) {
  EvalSplit e;
  e.name = split.name;
  e.labels = split.labels;
  e.lengths = split.lengths;
  e.file_ids = split.file_ids;
  e.logits = [model, &split, pad_id, exec, layout](const std::vector<int64_t>& rows) mutable {
    return split_logits(model, split, rows, pad_id, exec, layout);
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

  // Rows as long as the batch's longest sentence: the least attention (on the CPU demo grid the
  // fine-tunes took 41 s against 45 s in rows of max_length). Under CUDA graphs, rows at
  // least max_length long, so that a fine-tune has a few shapes (1-3 rows) to capture instead
  // of one per longest length. Evaluation batches are sorted by length already.
  TokenLayout training = padded_layout(env.exec, arch);
  training.packed = env.exec.packs_training();
  training.row_length = env.exec.cuda_graphs ? cfg.data.max_length : 0;
  TokenLayout evaluation = padded_layout(env.exec, arch);
  evaluation.packed = env.exec.packs_evaluation();
  FinetuneTask task(model, data.train, data.pad_id, training);
  TrainingJobParts parts;
  parts.task = &task;
  parts.train = eval_split(model, data.train, data.pad_id, env.exec, evaluation);
  parts.test = eval_split(model, data.test, data.pad_id, env.exec, evaluation);
  if (data.validation)
    parts.validation = eval_split(model, *data.validation, data.pad_id, env.exec, evaluation);
  if (cfg.run.save_models)
    parts.save_model = [&](const std::string& dir) {
      model::save_pretrained(dir + "/model", model, arch, vocab);
    };
  return run_training_job(spec, env, parts);
}

}  // namespace bertgrid::jobs
