// `bertgrid predict`: hate-speech classification of stdin lines with a fine-tuned model.
//
// Usage: bertgrid predict --model DIR [--max-length N] [--batch-size N] [--plain]
//   Input lines are JSON objects {"text": "..."} (or plain text with --plain); each gives one
//   {"label": "hate"|"noHate", "p_hate": P} line, in input order.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/error.h"
#include "model/embedder.h"
#include "model/hf_dir.h"
#include "text/json_lines.h"
#include "text/tokenizer.h"
#include "train/batching.h"

namespace bertgrid::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "Usage: bertgrid predict --model DIR [--max-length N] [--batch-size N] [--plain] < in.jsonl\n"
    "\n"
    "Classifies each stdin line with the DistilBertForSequenceClassification in DIR\n"
    "(config.json, model.safetensors, vocab.txt) and writes one JSON line per input line:\n"
    "{\"label\": NAME, \"p_hate\": P}, P = softmax probability of the hate class. Label names\n"
    "come from config.json's id2label when it names them, else hate = 1, noHate = 0.\n"
    "Input lines are JSON objects {\"text\": \"...\"}, or raw text with --plain.\n"
    "\n"
    "Exit status: 0 done, 1 error, 2 usage.\n\n";

// Class index -> name: config.json's id2label if it has a "hate" entry, else {noHate, hate}.
std::vector<std::string> label_names(const std::string& config_path, int64_t num_labels) {
  std::vector<std::string> names = {"noHate", "hate"};
  std::ifstream in(config_path);
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("id2label") && j["id2label"].is_object()) {
    std::vector<std::string> from_file(static_cast<size_t>(num_labels));
    for (const auto& [key, value] : j["id2label"].items()) {
      const long index = std::strtol(key.c_str(), nullptr, 10);
      if (!value.is_string() || index < 0 || index >= num_labels)
        throw Error(config_path + ": id2label entry '" + key + "' is not a class index to a name");
      from_file[static_cast<size_t>(index)] = value.get<std::string>();
    }
    if (std::find(from_file.begin(), from_file.end(), "hate") != from_file.end()) return from_file;
  }
  if (num_labels != 2)
    throw Error(config_path + ": " + std::to_string(num_labels) +
                " labels and no id2label naming \"hate\"");
  return names;
}

struct PredictOptions {
  std::string model;
  long long max_length = 512, batch_size = 32;
  bool plain = false;
};

// stdin's texts: JSON lines {"text": ...}, or raw lines when `plain`.
std::vector<std::string> read_texts(bool plain) {
  std::vector<std::string> texts;
  std::string line;
  long long line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    texts.push_back(plain ? line : text::text_of_json_line(line, line_no));
  }
  return texts;
}

struct Predictions {
  std::vector<double> p_hate;
  std::vector<int64_t> best;  // the arg-max class
};

Predictions classify(model::DistilBertForSequenceClassification& classifier,
                     const model::TokenizedTexts& tokens, int64_t batch_size, int64_t pad_id,
                     int64_t hate) {
  const size_t n = tokens.ids.size();
  std::vector<int> no_labels(n, 0);
  std::vector<int64_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = static_cast<int64_t>(i);
  torch::NoGradGuard no_grad;
  classifier->eval();
  Predictions out{std::vector<double>(n), std::vector<int64_t>(n)};
  for (const auto& batch : model::plan_batches(tokens.ids, rows, batch_size)) {
    auto padded = train::pad_batch(tokens.ids, no_labels, batch, pad_id);
    auto probs = torch::softmax(classifier->forward(padded.input_ids, padded.attention_mask), 1)
                     .to(torch::kFloat64);
    auto argmax = probs.argmax(1);
    for (size_t r = 0; r < batch.size(); ++r) {
      const auto i = static_cast<size_t>(batch[r]);
      out.p_hate[i] = probs[static_cast<int64_t>(r)][hate].item<double>();
      out.best[i] = argmax[static_cast<int64_t>(r)].item<int64_t>();
    }
  }
  return out;
}

int run_predict(const PredictOptions& o) {
  if (o.batch_size < 1)
    throw UsageError("--batch-size must be at least 1, got " + std::to_string(o.batch_size));
  if (o.max_length < 2)
    throw UsageError("--max-length must be at least 2, got " + std::to_string(o.max_length));
  if (!fs::is_directory(o.model)) throw Error(o.model + ": model directory not found");

  auto loaded = model::load_pretrained(o.model, /*init_seed=*/0);
  if (!loaded.newly_initialised.empty())
    std::cerr << "predict: warning: " << o.model
              << " has no trained classification head; predictions are from random weights\n";
  const long long max_length =
      std::min<long long>(o.max_length, loaded.config.max_position_embeddings);
  const auto names =
      label_names((fs::path(o.model) / "config.json").string(), loaded.config.num_labels);
  const auto hate = std::find(names.begin(), names.end(), "hate") - names.begin();
  const auto tokenizer =
      text::Tokenizer::from_vocab_file((fs::path(o.model) / "vocab.txt").string());

  const auto texts = read_texts(o.plain);
  const auto tokens = model::tokenize_texts(tokenizer, texts, max_length);
  const auto predictions = classify(loaded.model, tokens, o.batch_size, tokenizer.pad_id(), hate);
  for (size_t i = 0; i < texts.size(); ++i) {
    nlohmann::json out = {{"label", names[static_cast<size_t>(predictions.best[i])]},
                          {"p_hate", predictions.p_hate[i]}};
    std::cout << out.dump() << "\n";
  }
  std::cout.flush();
  if (!std::cout) throw Error("bertgrid predict: failed writing stdout");
  if (tokens.truncated > 0)
    std::cerr << "predict: " << tokens.truncated << " of " << texts.size() << " texts truncated to "
              << max_length << " tokens\n";
  return 0;
}

}  // namespace

Command setup_predict(CLI::App& parent) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* app = add_command(
      parent, "predict", "classify stdin lines with a fine-tuned model (JSON lines out)", kUsage);
  app->add_option("--model", o->model, "fine-tuned HF model directory (required)")
      ->type_name("DIR")
      ->required();
  app->add_option("--max-length", o->max_length,
                  "token limit, capped at max_position_embeddings (default 512)")
      ->type_name("N");
  app->add_option("--batch-size", o->batch_size, "sentences per forward pass (default 32)")
      ->type_name("N");
  app->add_flag("--plain", o->plain, "read plain text lines instead of JSON lines");
  return {app, [o] { return run_predict(*o); }};
}

}  // namespace bertgrid::cli
