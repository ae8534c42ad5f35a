// `bertgrid predict`: hate-speech classification of stdin lines with a fine-tuned model.
//
// Usage: bertgrid predict --model DIR [--max-length N] [--batch-size N] [--plain]
//   Input lines are JSON objects {"text": "..."} (or plain text with --plain); each gives one
//   {"label": "hate"|"noHate", "p_hate": P} line, in input order.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "model/embedder.h"
#include "model/hf_dir.h"
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
    "\n";

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

}  // namespace

int cmd_predict(int argc, char** argv, int first) {
  Args args(
      "predict",
      {{"model", true, "fine-tuned HF model directory (required)", "DIR"},
       {"max-length", true, "token limit, capped at max_position_embeddings (default 512)", "N"},
       {"batch-size", true, "sentences per forward pass (default 32)", "N"},
       {"plain", false, "read plain text lines instead of JSON lines"}},
      argc, argv, first);
  if (args.help()) {
    std::cout << kUsage << args.options_help();
    return 0;
  }
  const std::string model_dir = args.require("model");
  const long long batch_size = args.get_int("batch-size", 32);
  if (batch_size < 1)
    throw Error("--batch-size must be at least 1, got " + std::to_string(batch_size));
  long long max_length = args.get_int("max-length", 512);
  if (max_length < 2)
    throw Error("--max-length must be at least 2, got " + std::to_string(max_length));
  if (!fs::is_directory(model_dir)) throw Error(model_dir + ": model directory not found");

  auto loaded = model::load_pretrained(model_dir, /*init_seed=*/0);
  if (!loaded.newly_initialised.empty())
    std::cerr << "predict: warning: " << model_dir
              << " has no trained classification head; predictions are from random weights\n";
  max_length = std::min<long long>(max_length, loaded.config.max_position_embeddings);
  const auto names =
      label_names((fs::path(model_dir) / "config.json").string(), loaded.config.num_labels);
  const auto hate = std::find(names.begin(), names.end(), "hate") - names.begin();
  const auto tokenizer =
      text::Tokenizer::from_vocab_file((fs::path(model_dir) / "vocab.txt").string());

  std::vector<std::string> texts;
  std::string line;
  long long line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    texts.push_back(args.has("plain") ? line : text_of_json_line(line, line_no));
  }
  const auto tokens = model::tokenize_texts(tokenizer, texts, max_length);
  std::vector<int> no_labels(texts.size(), 0);
  std::vector<int64_t> rows(texts.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);

  torch::NoGradGuard no_grad;
  loaded.model->eval();
  std::vector<double> p_hate(texts.size());
  std::vector<int64_t> best(texts.size());
  for (const auto& batch : model::plan_batches(tokens.ids, rows, batch_size)) {
    auto padded = train::pad_batch(tokens.ids, no_labels, batch, tokenizer.pad_id());
    auto probs = torch::softmax(loaded.model->forward(padded.input_ids, padded.attention_mask), 1)
                     .to(torch::kFloat64);
    auto argmax = probs.argmax(1);
    for (size_t r = 0; r < batch.size(); ++r) {
      const auto i = static_cast<size_t>(batch[r]);
      p_hate[i] = probs[static_cast<int64_t>(r)][hate].item<double>();
      best[i] = argmax[static_cast<int64_t>(r)].item<int64_t>();
    }
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    nlohmann::json out = {{"label", names[static_cast<size_t>(best[i])]}, {"p_hate", p_hate[i]}};
    std::cout << out.dump() << "\n";
  }
  std::cout.flush();
  if (!std::cout) throw Error("bertgrid predict: failed writing stdout");
  if (tokens.truncated > 0)
    std::cerr << "predict: " << tokens.truncated << " of " << texts.size() << " texts truncated to "
              << max_length << " tokens\n";
  return 0;
}

}  // namespace bertgrid::cli
