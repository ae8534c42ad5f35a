// bertgrid replay: fixed batches through the real training step, one JSON line per step.
// Lets a user check bertgrid against their own PyTorch setup; the golden tests run through it.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/threads.h"
#include "model/hf_dir.h"
#include "model/safetensors.h"
#include "train/trainer.h"

namespace bertgrid::cli {
namespace {

const char* kUsage =
    "Usage: bertgrid replay --model DIR --batches FILE.safetensors --rows-per-step K --steps T\n"
    "                       --lr X --weight-decay W --warmup-steps S --max-grad-norm C\n"
    "                       [--out FINAL.safetensors]\n"
    "\n"
    "Replays fixed batches through the training step (AdamW, linear warmup/decay over T steps,\n"
    "grad-norm clipping) with dropout off. FILE holds input_ids, attention_mask and labels (N "
    "rows);\n"
    "step s uses rows s*K mod N .. s*K mod N + K - 1. Prints one JSON line per step (step, loss,\n"
    "grad_norm_preclip, lr) and writes the final weights under their HF names.\n\n";

// The loss over rows of fixed, already padded tensors.
class FixedBatchTask : public train::TrainingTask {
 public:
  FixedBatchTask(model::DistilBertForSequenceClassification model, torch::Tensor input_ids,
                 torch::Tensor attention_mask, torch::Tensor labels)
      : model_(std::move(model)),
        input_ids_(std::move(input_ids)),
        attention_mask_(std::move(attention_mask)),
        labels_(std::move(labels)) {}

  torch::nn::Module& module() override { return *model_; }
  int64_t num_train() const override { return labels_.size(0); }
  train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    auto index = torch::tensor(rows, torch::kInt64);
    return {input_ids_.index_select(0, index), attention_mask_.index_select(0, index),
            labels_.index_select(0, index)};
  }
  torch::Tensor loss_sum(const train::TaskInputs& in) override {
    auto logits = model_->forward(in.at(0), in.at(1));
    return torch::nn::functional::cross_entropy(
        logits, in.at(2), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  model::DistilBertForSequenceClassification model_;
  torch::Tensor input_ids_, attention_mask_, labels_;
};

torch::Tensor batch_tensor(const model::SafetensorsFile& file, const std::string& path,
                           const std::string& name) {
  const torch::Tensor* t = file.find(name);
  if (!t) throw Error(path + ": no tensor '" + name + "' (need input_ids, attention_mask, labels)");
  return t->to(torch::kInt64);
}

}  // namespace

int cmd_replay(int argc, char** argv, int first) {
  Args args("replay",
            {{"model", true, "HF model directory (config.json, model.safetensors)", "DIR"},
             {"batches", true, "safetensors file with input_ids, attention_mask, labels", "FILE"},
             {"rows-per-step", true, "rows per step (K)", "K"},
             {"steps", true, "number of optimiser steps (T)", "T"},
             {"lr", true, "peak learning rate", "X"},
             {"weight-decay", true, "AdamW weight decay (not on biases, LayerNorm weights)", "W"},
             {"warmup-steps", true, "linear warmup steps", "S"},
             {"max-grad-norm", true, "gradient-norm clipping threshold", "C"},
             {"out", true, "write the final weights here (HF names)", "FILE"},
             {"threads", true, "intra-op threads (default: libtorch's)", "N"}},
            argc, argv, first);
  if (args.help()) {
    std::cout << kUsage << args.options_help();
    return 0;
  }
  if (args.has("threads")) set_compute_threads(static_cast<int>(args.get_int("threads", 1)));
  const std::string batches_path = args.require("batches");
  const int64_t k = args.get_int("rows-per-step", 0);
  train::TrainerSettings settings;
  settings.max_steps = args.get_int("steps", 0);
  settings.learning_rate = args.get_double("lr", 0);
  settings.weight_decay = args.get_double("weight-decay", 0);
  settings.warmup_steps = args.get_int("warmup-steps", 0);
  settings.max_grad_norm = args.get_double("max-grad-norm", 1.0);
  for (const char* required :
       {"model", "rows-per-step", "steps", "lr", "weight-decay", "warmup-steps", "max-grad-norm"})
    args.require(required);
  if (k <= 0) throw Error("bertgrid replay: --rows-per-step must be positive");
  if (settings.max_steps <= 0) throw Error("bertgrid replay: --steps must be positive");

  auto loaded = model::load_pretrained(args.require("model"), 0);
  loaded.model->eval();  // dropout off; gradients still flow
  auto file = model::load_safetensors(batches_path);
  auto input_ids = batch_tensor(file, batches_path, "input_ids");
  auto attention_mask = batch_tensor(file, batches_path, "attention_mask");
  auto labels = batch_tensor(file, batches_path, "labels");
  FixedBatchTask task(loaded.model, input_ids, attention_mask, labels);
  const int64_t n = task.num_train();
  if (k > n)
    throw Error("bertgrid replay: --rows-per-step " + std::to_string(k) + " exceeds the " +
                std::to_string(n) + " rows of " + batches_path);
  settings.batch_size = k;
  train::Trainer trainer(task, settings);

  for (int64_t s = 0; s < settings.max_steps; ++s) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < k; ++i) rows.push_back((s * k + i) % n);
    auto r = trainer.step(rows);
    nlohmann::json line = {
        {"step", s}, {"loss", r.loss}, {"grad_norm_preclip", r.grad_norm}, {"lr", r.lr}};
    std::cout << line.dump() << "\n" << std::flush;
  }
  if (auto out = args.get("out")) {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& p : loaded.model->named_parameters()) tensors.emplace_back(p.key(), p.value());
    model::save_safetensors(*out, tensors);
  }
  return 0;
}

}  // namespace bertgrid::cli
