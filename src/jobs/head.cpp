#include "jobs/head.h"

#include <unordered_map>

#include "core/error.h"
#include "jobs/model_source.h"
#include "jobs/training_job.h"
#include "model/distilbert.h"
#include "model/safetensors.h"

namespace bertgrid::jobs {
namespace {

// The embeddings of one split's sentences, in the split's order, on the device.
torch::Tensor gather_rows(const io::EmbeddingsFile& file, const std::string& h5_split,
                          const std::string& strategy, const TokenizedSplit& split,
                          torch::Device device) {
  auto it = file.splits.find(h5_split);
  if (it == file.splits.end()) throw Error("embeddings file has no /" + h5_split + " group");
  const auto& emb = it->second;
  auto st = emb.by_strategy.find(strategy);
  if (st == emb.by_strategy.end())
    throw Error("embeddings file has no /" + h5_split + "/" + strategy);
  std::unordered_map<std::string, int64_t> row_of;
  for (size_t i = 0; i < emb.file_ids.size(); ++i) row_of[emb.file_ids[i]] = int64_t(i);
  std::vector<int64_t> rows;
  for (const auto& id : split.file_ids) {
    auto r = row_of.find(id);
    if (r == row_of.end())
      throw Error("embeddings file has no row for " + split.name + " sentence '" + id + "' in /" +
                  h5_split + " (stale embeddings?)");
    rows.push_back(r->second);
  }
  return st->second.index_select(0, torch::tensor(rows, torch::kInt64)).to(device);
}

class HeadTask : public train::TrainingTask {
 public:
  HeadTask(model::ClassificationHead head, torch::Tensor x, torch::Tensor y)
      : head_(std::move(head)), x_(std::move(x)), y_(std::move(y)) {}
  torch::nn::Module& module() override { return *head_; }
  int64_t num_train() const override { return y_.size(0); }
  // The inputs are the rows' indices into the embeddings x_ (which live on the device).
  train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    return {torch::tensor(rows, torch::kInt64)};
  }
  torch::Tensor loss_sum(const train::TaskInputs& in) override {
    const auto& index = in.at(0);
    return torch::nn::functional::cross_entropy(
        head_->forward(x_.index_select(0, index)), y_.index_select(0, index),
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  model::ClassificationHead head_;
  torch::Tensor x_, y_;
};

EvalSplit eval_split(model::ClassificationHead head, const TokenizedSplit& split, torch::Tensor x) {
  EvalSplit e;
  e.name = split.name;
  e.labels = split.labels;
  e.file_ids = split.file_ids;  // no lengths: embeddings need no padding
  e.logits = [head, x](const std::vector<int64_t>& rows) mutable {
    return head->forward(x.index_select(0, torch::tensor(rows, torch::kInt64).to(x.device())));
  };
  return e;
}

}  // namespace

JobOutcome run_head(const JobSpec& spec, const JobEnv& env, const io::EmbeddingsFile& embeddings) {
  const RunConfig& cfg = *env.config;
  const PreparedData& data = *env.data;
  auto train_x = gather_rows(embeddings, "train", spec.strategy, data.train, env.exec.device);
  auto test_x = gather_rows(embeddings, "test", spec.strategy, data.test, env.exec.device);

  auto arch = model_config(cfg, data.vocab_size);
  if (train_x.size(1) != arch.dim)
    throw Error("embeddings have width " + std::to_string(train_x.size(1)) + ", the model dim is " +
                std::to_string(arch.dim));
  model::ClassificationHead head(arch);
  model::init_head(head, arch, spec.init_seed);
  head->to(env.exec.device);

  auto labels = [&](const TokenizedSplit& s) {
    return torch::tensor(s.labels, torch::kInt64).to(env.exec.device);
  };
  HeadTask task(head, train_x, labels(data.train));
  TrainingJobParts parts;
  parts.task = &task;
  parts.train = eval_split(head, data.train, train_x);
  parts.test = eval_split(head, data.test, test_x);
  if (data.validation)
    parts.validation = eval_split(
        head, *data.validation,
        gather_rows(embeddings, "train", spec.strategy, *data.validation, env.exec.device));
  if (cfg.run.save_models)
    parts.save_model = [&](const std::string& dir) {
      std::vector<std::pair<std::string, torch::Tensor>> tensors;
      for (const auto& p : head->named_parameters()) tensors.emplace_back(p.key(), p.value());
      model::save_safetensors(dir + "/head.safetensors", tensors, {{"strategy", spec.strategy}});
    };
  return run_training_job(spec, env, parts);
}

}  // namespace bertgrid::jobs
