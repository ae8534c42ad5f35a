// `bertgrid embed`: frozen DistilBERT sentence embeddings of a dataset's train and test splits,
// written by the grid's own embedding stage (jobs/embedding_stage.h): the same layout,
// attributes and fingerprint as `bertgrid run` writes, so `train --job head --embeddings` and
// `run --embeddings` take the file as it is.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cli/command.h"
#include "cli/data_dir.h"
#include "core/error.h"
#include "core/threads.h"
#include "dist/collectives.h"
#include "dist/world.h"
#include "jobs/embedding_stage.h"
#include "jobs/execution_setup.h"
#include "jobs/model_source.h"
#include "model/embedder.h"

namespace bertgrid::cli {
namespace {

constexpr const char* kUsage =
    "Usage: bertgrid embed --config FILE.toml --out embeddings.h5 [OPTIONS]\n"
    "       bertgrid embed --model DIR --data DATASET_DIR --out embeddings.h5 [OPTIONS]\n"
    "\n"
    "Runs the embedding stage of `bertgrid run` on its own: the frozen DistilBERT encoder over\n"
    "the train split (with any validation rows) and the test split of a dataset (the Vicomtech\n"
    "layout, annotations_metadata.csv + SPLIT/*.txt, or .csv/.jsonl tables), in length-sorted\n"
    "batches, and writes the pooled sentence embeddings as the grid does: /train/<STRATEGY> and\n"
    "/test/<STRATEGY> [N, dim], /train|test/labels and file_ids, and the attributes model,\n"
    "max_length, pooling, padding, precision, fingerprint and fingerprint_inputs. An OUT whose\n"
    "fingerprint already matches is kept. Progress goes to stderr.\n"
    "\n"
    "--config takes everything from a run config, as the grid does (data, model, limits,\n"
    "validation split, [embeddings] and [run] sections); the options below override it. Without\n"
    "--config, --model DIR (model.init = \"pretrained\") and the defaults of a run config apply.\n"
    "The dataset folder is --data, else $BERTGRID_DATA, else the config's data.dir. Runs as one\n"
    "process, or under mpirun with the sentences shared by the ranks.\n"
    "\n"
    "Exit status: 0 done, 1 error, 2 usage.\n\n";

struct EmbedOptions {
  std::string config, model, data, out, train_split, test_split, strategies, pooling, padding;
  std::optional<long long> max_length, batch_size;
  long long threads = 0;
};

std::vector<Strategy> parse_strategies(const std::string& list) {
  std::vector<Strategy> out;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    try {
      out.push_back(choice_from_string<Strategy>(name));
    } catch (const Error& e) {
      throw UsageError(std::string("bertgrid embed: --strategies: ") + e.what());
    }
  }
  if (out.empty())
    throw UsageError("bertgrid embed: --strategies: no strategy named in '" + list + "'");
  return out;
}

// A choice of --pooling or --padding (the error names the allowed values).
template <typename Choice>
Choice checked_choice(const std::string& value, const char* option) {
  try {
    return choice_from_string<Choice>(value);
  } catch (const Error& e) {
    throw UsageError(std::string("bertgrid embed: ") + option + ": " + e.what());
  }
}

// The run config the stage runs with: --config's, or the defaults, then the overrides.
RunConfig embed_config(const EmbedOptions& o) {
  if (o.config.empty() && o.model.empty())
    throw UsageError("bertgrid embed: --config FILE.toml or --model DIR is required");
  RunConfig cfg;
  if (!o.config.empty()) {
    cfg = load_run_config(o.config);
  } else {
    cfg.name = "embed";
    cfg.source = "bertgrid embed";
  }
  if (!o.model.empty()) {
    cfg.model.init = ModelInit::kPretrained;
    cfg.model.dir = o.model;
    cfg.model.vocab.clear();
  }
  if (!o.train_split.empty()) cfg.data.train_split = o.train_split;
  if (!o.test_split.empty()) cfg.data.test_split = o.test_split;
  if (o.max_length && *o.max_length < 2)
    throw UsageError("bertgrid embed: --max-length must be at least 2, got " +
                     std::to_string(*o.max_length));
  if (o.max_length) cfg.data.max_length = *o.max_length;
  if (o.batch_size && *o.batch_size < 1)
    throw UsageError("bertgrid embed: --batch-size must be at least 1, got " +
                     std::to_string(*o.batch_size));
  if (o.batch_size) cfg.embeddings.encode_batch_size = *o.batch_size;
  if (!o.strategies.empty()) cfg.embeddings.strategies = parse_strategies(o.strategies);
  if (!o.pooling.empty())
    cfg.embeddings.pooling = checked_choice<PoolingMode>(o.pooling, "--pooling");
  if (!o.padding.empty())
    cfg.embeddings.padding = checked_choice<PaddingMode>(o.padding, "--padding");
  if (o.threads < 0)
    throw UsageError("bertgrid embed: --threads must be positive, got " +
                     std::to_string(o.threads));
  if (o.threads > 0) cfg.run.threads_per_rank = o.threads;
  if (cfg.model.init == ModelInit::kPretrained && !std::filesystem::is_directory(cfg.model.dir))
    throw Error(cfg.model.dir + ": model directory not found");
  return cfg;
}

// The data read and tokenized, the stage run; rank 0 reports. Returns the exit status.
int embed(const RunConfig& cfg, const EmbedOptions& o, const dist::World& world) {
  const auto start = std::chrono::steady_clock::now();
  const bool root = world.rank() == 0;
  if (cfg.run.threads_per_rank > 0) set_compute_threads(static_cast<int>(cfg.run.threads_per_rank));
  train::Execution exec;
  dist::all_or_none(world.comm(), [&] {
    exec = jobs::make_execution(cfg, world.local_rank(), world.local_size(), world.hostname());
  });
  const std::string data_dir = resolve_data_dir(o.data, cfg);
  const auto tokenizer = text::Tokenizer::from_vocab_file(jobs::vocab_path(cfg));
  const auto arch = jobs::model_config(cfg, static_cast<int64_t>(tokenizer.vocab_size()));
  const auto data = jobs::prepare_data(cfg, data_dir, tokenizer, arch.max_position_embeddings);
  auto progress = [](const std::string& split, int64_t done, int64_t total) {
    if (done == total || done % 10 == 0)
      std::cerr << "embed: " << split << " batch " << done << "/" << total << "\n";
  };
  const auto result =
      jobs::run_embedding_stage(cfg, data, data_dir, {o.out, ""}, world, exec, progress);
  if (!root) return 0;
  int64_t sentences = data.train.size() + data.test.size();
  int64_t truncated = data.train.truncated_count() + data.test.truncated_count();
  if (data.validation) {
    sentences += data.validation->size();
    truncated += data.validation->truncated_count();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char summary[512];
  std::snprintf(summary, sizeof summary,
                "embed: %lld sentences, %lld truncated to %lld tokens, %.1f s -> %s%s\n",
                static_cast<long long>(sentences), static_cast<long long>(truncated),
                static_cast<long long>(std::min(cfg.data.max_length, arch.max_position_embeddings)),
                seconds, o.out.c_str(), result.cache_hit ? " (kept: fingerprint matches)" : "");
  std::cerr << summary;
  return 0;
}

int run_embed(const EmbedOptions& o) {
  const RunConfig cfg = embed_config(o);
  dist::World world(nullptr, nullptr);
  try {
    return embed(cfg, o, world);
  } catch (const std::exception& e) {
    // Stage errors are agreed by every rank (all_or_none); the rest are the same on each.
    if (world.rank() == 0) std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

Command setup_embed(CLI::App& parent) {
  auto o = std::make_shared<EmbedOptions>();
  CLI::App* app = add_command(
      parent, "embed", "frozen-encoder sentence embeddings of a dataset's splits -> embeddings.h5",
      kUsage);
  auto option = [&](const std::string& name, auto& value, const std::string& help,
                    const std::string& metavar) {
    return app->add_option(name, value, help)->type_name(metavar);
  };
  option("--config", o->config, "run config (TOML): data, model and [embeddings] as in `run`",
         "FILE");
  option("--model", o->model, "HF model directory (config.json, model.safetensors, vocab.txt)",
         "DIR");
  option("--data", o->data, "dataset folder (else $BERTGRID_DATA, else data.dir)", "DIR");
  option("--out", o->out, "embeddings HDF5 to write (atomically)", "PATH")->required();
  option("--train-split", o->train_split, "train split folder or table (default sampled_train)",
         "NAME");
  option("--test-split", o->test_split, "test split folder or table (default sampled_test)",
         "NAME");
  option("--max-length", o->max_length,
         "token limit, capped at max_position_embeddings (default 512)", "N");
  option("--batch-size", o->batch_size, "sentences per encoder forward (default 64)", "N");
  option("--strategies", o->strategies, "comma-separated pooling strategies (default all five)",
         "LIST");
  option("--pooling", o->pooling, "masked (default) or notebook (padding included)", "MODE");
  option("--padding", o->padding, "dynamic (default) or corpus (pad to the split's longest)",
         "MODE");
  option("--threads", o->threads, "intra-op CPU threads (default: libtorch's choice)", "N");
  return {app, [o] { return run_embed(*o); }};
}

}  // namespace bertgrid::cli
