// `bertgrid embed`: frozen DistilBERT sentence embeddings of a dataset's train and test splits,
// written to an embeddings.h5 (see src/io/embeddings_h5.h) with its cache fingerprint.
//
// Usage: bertgrid embed --model DIR --data DATASET_DIR --out embeddings.h5 [--train-split S]
//          [--test-split S] [--max-length N] [--batch-size N] [--strategies A,B,...]
//          [--pooling masked|notebook] [--padding dynamic|corpus] [--threads N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/threads.h"
#include "io/embeddings_h5.h"
#include "model/embedder.h"
#include "model/hf_dir.h"
#include "text/dataset.h"
#include "text/tokenizer.h"

namespace bertgrid::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "Usage: bertgrid embed --model DIR --data DATASET_DIR --out embeddings.h5 [OPTIONS]\n"
    "\n"
    "Runs the frozen DistilBERT encoder of DIR (config.json, model.safetensors, vocab.txt) over\n"
    "the train and test splits of a Vicomtech-layout dataset (annotations_metadata.csv +\n"
    "SPLIT/*.txt) in length-sorted batches and writes the pooled sentence embeddings:\n"
    "/SPLIT/<STRATEGY> [N, dim], /SPLIT/labels, /SPLIT/file_ids, and the attributes model,\n"
    "max_length, pooling, padding, precision and fingerprint. Progress goes to stderr.\n"
    "\n";

std::vector<Strategy> parse_strategies(const std::string& list) {
  std::vector<Strategy> out;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    out.push_back(choice_from_string<Strategy>(name));
  }
  if (out.empty()) throw Error("--strategies: no strategy named in '" + list + "'");
  return out;
}

void print_report(const char* what, const std::vector<std::string>& names) {
  if (names.empty()) return;
  std::cerr << "embed: " << names.size() << " " << what << ":";
  for (const auto& n : names) std::cerr << " " << n;
  std::cerr << "\n";
}

}  // namespace

int cmd_embed(int argc, char** argv, int first) {
  Args args(
      "embed",
      {{"model", true, "HF model directory (config.json, model.safetensors, vocab.txt)", "DIR"},
       {"data", true, "dataset directory in the Vicomtech layout", "DIR"},
       {"out", true, "embeddings HDF5 to write (atomically)", "PATH"},
       {"train-split", true, "train split folder (default sampled_train)", "NAME"},
       {"test-split", true, "test split folder (default sampled_test)", "NAME"},
       {"max-length", true, "token limit, capped at max_position_embeddings (default 512)", "N"},
       {"batch-size", true, "sentences per encoder forward (default 64)", "N"},
       {"strategies", true, "comma-separated pooling strategies (default all five)", "LIST"},
       {"pooling", true, "masked (default) or notebook (padding included)", "MODE"},
       {"padding", true, "dynamic (default) or corpus (pad to the split's longest)", "MODE"},
       {"threads", true, "intra-op CPU threads (default: libtorch's choice)", "N"}},
      argc, argv, first);
  if (args.help()) {
    std::cout << kUsage << args.options_help();
    return 0;
  }
  const std::string model_dir = args.require("model");
  const std::string data_dir = args.require("data");
  const std::string out_path = args.require("out");
  const std::string splits[2] = {args.get_or("train-split", "sampled_train"),
                                 args.get_or("test-split", "sampled_test")};
  model::EmbedOptions options;
  options.batch_size = args.get_int("batch-size", 64);
  if (options.batch_size < 1)
    throw Error("--batch-size must be at least 1, got " + std::to_string(options.batch_size));
  if (args.has("strategies")) options.strategies = parse_strategies(args.require("strategies"));
  options.pooling = choice_from_string<PoolingMode>(args.get_or("pooling", "masked"));
  options.padding = choice_from_string<PaddingMode>(args.get_or("padding", "dynamic"));
  const long long threads = args.get_int("threads", 0);
  if (threads < 0) throw Error("--threads must be positive, got " + std::to_string(threads));
  if (threads > 0) set_compute_threads(static_cast<int>(threads));
  long long max_length = args.get_int("max-length", 512);
  if (max_length < 2)
    throw Error("--max-length must be at least 2, got " + std::to_string(max_length));

  const auto start = std::chrono::steady_clock::now();
  const std::string vocab_path = (fs::path(model_dir) / "vocab.txt").string();
  if (!fs::is_directory(model_dir)) throw Error(model_dir + ": model directory not found");
  auto loaded = model::load_pretrained(model_dir, /*init_seed=*/0);
  print_report("unused tensors in model.safetensors", loaded.unused);
  print_report("newly initialised head parameters (not used by embed)", loaded.newly_initialised);
  max_length = std::min<long long>(max_length, loaded.config.max_position_embeddings);
  const auto tokenizer = text::Tokenizer::from_vocab_file(vocab_path);
  options.pad_id = tokenizer.pad_id();
  model::DistilBertModel encoder = loaded.model->distilbert;

  const text::LabelMap labels;
  model::FingerprintInputs fp;
  fp.weights_path = (fs::path(model_dir) / "model.safetensors").string();
  fp.vocab_path = vocab_path;
  fp.max_length = max_length;
  fp.label_map = labels.entries;
  fp.pooling = options.pooling;
  fp.padding = options.padding;
  fp.data_files.emplace_back("annotations_metadata.csv",
                             (fs::path(data_dir) / "annotations_metadata.csv").string());

  io::EmbeddingsFile file;
  int64_t sentences = 0, truncated = 0;
  for (const auto& split : splits) {
    const auto examples = text::read_vicomtech_split(data_dir, split, labels);
    std::vector<std::string> texts;
    io::SplitEmbeddings out;
    for (const auto& e : examples) {
      texts.push_back(e.text);
      out.file_ids.push_back(e.file_id);
      out.labels.push_back(e.label);
      const std::string name = split + "/" + e.file_id + ".txt";
      fp.data_files.emplace_back(name, (fs::path(data_dir) / name).string());
    }
    auto tokens = model::tokenize_texts(tokenizer, texts, max_length);
    options.progress = [&split](int64_t done, int64_t total) {
      if (done == total || done % 10 == 0)
        std::cerr << "embed: " << split << " batch " << done << "/" << total << "\n";
    };
    const auto result = model::embed_all(encoder, tokens.ids, options);
    for (size_t s = 0; s < options.strategies.size(); ++s)
      out.by_strategy[to_string(options.strategies[s])] = result.by_strategy[s];
    file.splits[split] = std::move(out);
    sentences += static_cast<int64_t>(texts.size());
    truncated += tokens.truncated;
  }

  file.attrs_str["model"] = model_dir;
  file.attrs_str["pooling"] = to_string(options.pooling);
  file.attrs_str["padding"] = to_string(options.padding);
  file.attrs_str["precision"] = to_string(fp.precision);
  file.attrs_str["fingerprint"] = model::embedding_fingerprint(fp);
  file.attrs_int["max_length"] = max_length;
  io::write_embeddings_h5(out_path, file);

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char summary[256];
  std::snprintf(summary, sizeof summary,
                "embed: %lld sentences, %lld truncated to %lld tokens, %.1f s -> %s\n",
                static_cast<long long>(sentences), static_cast<long long>(truncated), max_length,
                seconds, out_path.c_str());
  std::cerr << summary;
  return 0;
}

}  // namespace bertgrid::cli
