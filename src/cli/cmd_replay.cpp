// bertgrid replay: fixed batches through the real training step, one JSON line per step.
// Lets a user check bertgrid against their own PyTorch setup; the golden tests run through it.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/error.h"
#include "core/threads.h"
#include "model/hf_dir.h"
#include "model/packing.h"
#include "model/safetensors.h"
#include "train/trainer.h"

namespace bertgrid::cli {
namespace {

const char* kUsage =
    "Usage: bertgrid replay --model DIR --batches FILE.safetensors --rows-per-step K --steps T\n"
    "                       --lr X --weight-decay W --warmup-steps S --max-grad-norm C\n"
    "                       [--out FINAL.safetensors] [--packing on|off]\n"
    "\n"
    "Replays fixed batches through the training step (AdamW, linear warmup/decay over T steps,\n"
    "grad-norm clipping) with dropout off. FILE holds input_ids, attention_mask and labels (N "
    "rows);\n"
    "step s uses rows s*K mod N .. s*K mod N + K - 1. Prints one JSON line per step (step, loss,\n"
    "grad_norm_preclip, lr) and writes the final weights under their HF names. --packing on lays\n"
    "each step's sentences end to end in rows (block-diagonal attention) instead of padding them.\n"
    "\n"
    "Exit status: 0 done, 1 error, 2 usage.\n\n";

// The loss over rows of fixed, already padded tensors, or over the same sentences packed
// (model/packing.h) in rows as long as the padded ones.
class FixedBatchTask : public train::TrainingTask {
 public:
  FixedBatchTask(model::DistilBertForSequenceClassification model, torch::Tensor input_ids,
                 torch::Tensor attention_mask, torch::Tensor labels, bool packed)
      : model_(std::move(model)),
        input_ids_(std::move(input_ids)),
        attention_mask_(std::move(attention_mask)),
        labels_(std::move(labels)),
        packed_(packed) {
    if (packed_) sentences_ = unpadded(input_ids_, attention_mask_);
  }

  torch::nn::Module& module() override { return *model_; }
  int64_t num_train() const override { return labels_.size(0); }
  train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    auto index = torch::tensor(rows, torch::kInt64);
    if (packed_) {
      const auto b =
          model::pack_sentences(sentences_, rows, /*pad_id=*/0, {/*at_least=*/input_ids_.size(1)});
      return {b.input_ids, b.position_ids, b.segment_ids, b.cls_index,
              labels_.index_select(0, index)};
    }
    return {input_ids_.index_select(0, index), attention_mask_.index_select(0, index),
            labels_.index_select(0, index)};
  }
  torch::Tensor loss_sum(const train::TaskInputs& in) override {
    auto logits = packed_ ? model_->forward_packed(in.at(0), in.at(1), in.at(2), in.at(3))
                          : model_->forward(in.at(0), in.at(1));
    return torch::nn::functional::cross_entropy(
        logits, in.back(), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  model::DistilBertForSequenceClassification model_;
  torch::Tensor input_ids_, attention_mask_, labels_;
  bool packed_;
  std::vector<std::vector<int64_t>> sentences_;  // packed: each row's tokens (mask 1)

  static std::vector<std::vector<int64_t>> unpadded(const torch::Tensor& ids,
                                                    const torch::Tensor& mask) {
    std::vector<std::vector<int64_t>> out(static_cast<size_t>(ids.size(0)));
    const auto id = ids.accessor<int64_t, 2>();
    const auto m = mask.accessor<int64_t, 2>();
    for (int64_t r = 0; r < ids.size(0); ++r)
      for (int64_t c = 0; c < ids.size(1); ++c)
        if (m[r][c] != 0) out[static_cast<size_t>(r)].push_back(id[r][c]);
    return out;
  }
};

torch::Tensor batch_tensor(const model::SafetensorsFile& file, const std::string& path,
                           const std::string& name) {
  const torch::Tensor* t = file.find(name);
  if (!t) throw Error(path + ": no tensor '" + name + "' (need input_ids, attention_mask, labels)");
  return t->to(torch::kInt64);
}

struct ReplayOptions {
  std::string model, batches, out;
  int64_t rows_per_step = 0, steps = 0, warmup_steps = 0;
  double lr = 0, weight_decay = 0, max_grad_norm = 1.0;
  long long threads = 0;
  std::string packing = "off";
};

int run_replay(const ReplayOptions& o) {
  if (o.threads > 0) set_compute_threads(static_cast<int>(o.threads));
  if (o.rows_per_step <= 0) throw UsageError("bertgrid replay: --rows-per-step must be positive");
  if (o.steps <= 0) throw UsageError("bertgrid replay: --steps must be positive");
  train::TrainerSettings settings;
  settings.max_steps = o.steps;
  settings.learning_rate = o.lr;
  settings.weight_decay = o.weight_decay;
  settings.warmup_steps = o.warmup_steps;
  settings.max_grad_norm = o.max_grad_norm;

  auto loaded = model::load_pretrained(o.model, 0);
  loaded.model->eval();  // dropout off; gradients still flow
  auto file = model::load_safetensors(o.batches);
  // One statement each, so that the first missing tensor is the one named.
  torch::Tensor input_ids = batch_tensor(file, o.batches, "input_ids");
  torch::Tensor attention_mask = batch_tensor(file, o.batches, "attention_mask");
  torch::Tensor labels = batch_tensor(file, o.batches, "labels");
  FixedBatchTask task(loaded.model, input_ids, attention_mask, labels, o.packing == "on");
  const int64_t n = task.num_train(), k = o.rows_per_step;
  if (k > n)
    throw Error("bertgrid replay: --rows-per-step " + std::to_string(k) + " exceeds the " +
                std::to_string(n) + " rows of " + o.batches);
  settings.batch_size = k;
  train::Trainer trainer(task, settings);

  for (int64_t s = 0; s < settings.max_steps; ++s) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < k; ++i) rows.push_back((s * k + i) % n);
    trainer.step(rows);
    const auto r = trainer.sync();
    nlohmann::json line = {
        {"step", s}, {"loss", r.loss}, {"grad_norm_preclip", r.grad_norm}, {"lr", r.lr}};
    std::cout << line.dump() << "\n" << std::flush;
  }
  if (!o.out.empty()) {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& p : loaded.model->named_parameters()) tensors.emplace_back(p.key(), p.value());
    model::save_safetensors(o.out, tensors);
  }
  return 0;
}

}  // namespace

Command setup_replay(CLI::App& parent) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* app = add_command(
      parent, "replay", "replay fixed batches through the training step (checks against PyTorch)",
      kUsage);
  auto required = [&](const std::string& name, auto& value, const std::string& help,
                      const std::string& metavar) {
    app->add_option(name, value, help)->type_name(metavar)->required();
  };
  required("--model", o->model, "HF model directory (config.json, model.safetensors)", "DIR");
  required("--batches", o->batches, "safetensors file with input_ids, attention_mask, labels",
           "FILE");
  required("--rows-per-step", o->rows_per_step, "rows per step (K)", "K");
  required("--steps", o->steps, "number of optimiser steps (T)", "T");
  required("--lr", o->lr, "peak learning rate", "X");
  required("--weight-decay", o->weight_decay,
           "AdamW weight decay (not on biases, LayerNorm weights)", "W");
  required("--warmup-steps", o->warmup_steps, "linear warmup steps", "S");
  required("--max-grad-norm", o->max_grad_norm, "gradient-norm clipping threshold", "C");
  app->add_option("--out", o->out, "write the final weights here (HF names)")->type_name("FILE");
  app->add_option("--packing", o->packing,
                  "on: each step's sentences packed end to end (rows as long as the padded ones)")
      ->check(CLI::IsMember({"on", "off"}))
      ->type_name("on|off");
  app->add_option("--threads", o->threads, "intra-op threads (default: libtorch's)")
      ->type_name("N");
  return {app, [o] { return run_replay(*o); }};
}

}  // namespace bertgrid::cli
