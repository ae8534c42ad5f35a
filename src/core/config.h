// The run configuration: a TOML file parsed once, at the edge, into plain validated structs.
// Only this module reads TOML. Any of the hyperparameters marked "list" may be given as a
// scalar or an array; the grid is the Cartesian product of the lists.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/architecture.h"
#include "core/choices.h"

namespace bertgrid {

struct DataConfig {
  std::string dir;  // Vicomtech layout; --data / BERTGRID_DATA override it
  std::string train_split = "sampled_train";
  std::string test_split = "sampled_test";
  std::vector<std::pair<std::string, int>> labels = {{"hate", 1}, {"noHate", 0}};
  int64_t max_length = 512;        // truncation, keeping [SEP] last
  double validation_fraction = 0;  // carved from train, stratified; 0 = none
  uint64_t validation_seed = 0;
  int64_t limit_train = 0;  // first N examples (by file_id) per split; 0 = all
  int64_t limit_test = 0;
};

struct ModelConfig {
  ModelInit init = ModelInit::kPretrained;  // from dir, or drawn from the init seed
  std::string dir;                          // HF model directory (pretrained)
  std::string vocab;                        // vocab.txt (random init; defaults to dir/vocab.txt)
  // The shape for random init; vocab_size, pad_token_id, initializer_range and num_labels are
  // not [model] keys (the vocabulary and the labels decide them).
  Architecture arch;
};

// Hyperparameters of one kind of job; list-valued fields span the grid.
struct TrainConfig {
  std::vector<int64_t> epochs;
  std::vector<int64_t> batch_size = {16};
  int64_t eval_batch_size = 32;
  std::vector<double> learning_rate = {5e-5};
  std::vector<double> weight_decay = {0.01};
  std::vector<int64_t> warmup_steps = {0};
  std::optional<double> warmup_ratio;  // HF: ceil(ratio * total_steps); overrides warmup_steps
  double max_grad_norm = 1.0;
  std::vector<uint64_t> init_seed = {42};
  std::vector<uint64_t> data_seed = {42};
  int64_t logging_steps = 10;
  // HF's group_by_length: each epoch's shuffled order regrouped so that a batch holds rows of
  // similar length (less padding; a different batch composition). Token jobs only.
  bool group_by_length = false;
};

struct EmbeddingConfig {
  bool enabled = true;
  std::vector<Strategy> strategies{kAllStrategies.begin(), kAllStrategies.end()};
  PoolingMode pooling = PoolingMode::kMasked;
  PaddingMode padding = PaddingMode::kDynamic;
  int64_t encode_batch_size = 64;
  TrainConfig head;  // epochs default {2}
};

struct RunSettings {
  int64_t ranks_per_job = 1;
  int64_t threads_per_rank = 0;  // 0: cores on the node / ranks on the node
  double stall_timeout = 600;    // seconds without progress before the run aborts
  // Seconds a run directory's lock from another host must keep the same heartbeat (refreshed
  // every 15 s) before a new run takes it over as stale.
  double lock_stale_after = 90;
  DeviceChoice device = DeviceChoice::kAuto;
  Precision precision = Precision::kFp32;
  bool save_models = true;
  // Speed switches (each changes only speed, or float rounding): torch's fused AdamW kernel on
  // CUDA (libtorch >= 2.1); pinned host buffers with non-blocking host-to-device copies.
  bool fused_adamw = false;
  bool async_copies = true;
  // A checkpoint (weights and AdamW state, fsynced) after every epoch, so that a job killed
  // without warning resumes from its last epoch. Off: checkpoints only on a stop signal
  // (SIGTERM/SIGUSR1), which saves ~0.8 GB of writes per epoch at distilbert-base's size.
  bool epoch_checkpoints = true;
  // CUDA graphs of the training step (forward and backward), one per batch shape: launch costs
  // paid once per shape instead of every step (CUDA only). Pair with pad_to_multiple_of, which
  // keeps the number of shapes small.
  bool cuda_graphs = false;
  // Token batches are padded to a multiple of this (never beyond the model's positions): padding
  // is masked, so only float rounding changes; fewer distinct shapes for graphs and kernels.
  int64_t pad_to_multiple_of = 1;
  // Packed batches (see Packing): "auto" packs evaluations and the embedding stage, "on" training
  // too, "off" nothing.
  Packing packing = Packing::kAuto;
};

struct RunConfig {
  std::string name;    // run name; the run directory defaults to runs/<name>
  std::string source;  // the file it came from
  std::string text;    // the file's bytes (for the hash and the saved copy)
  DataConfig data;
  ModelConfig model;
  bool finetune_enabled = true;
  TrainConfig finetune;  // epochs default {2, 3, 4}
  EmbeddingConfig embeddings;
  RunSettings run;
};

// Parses and validates; throws bertgrid::Error naming file:line:column and the key. Relative
// paths (data.dir, model.dir, model.vocab) are taken relative to the config file's folder.
RunConfig load_run_config(const std::string& path);

// The TOML++ version the config parser was built with ("3.3.0").
std::string tomlplusplus_version();
RunConfig parse_run_config(const std::string& text, const std::string& source_name);

}  // namespace bertgrid
