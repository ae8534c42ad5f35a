#include "jobs/embedding_stage.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "dist/collectives.h"
#include "io/embeddings_h5.h"
#include "model/embedder.h"
#include "jobs/model_source.h"

namespace bertgrid::jobs {
namespace fs = std::filesystem;
namespace {

std::vector<std::pair<std::string, std::string>> data_files(const RunConfig& cfg,
                                                            const PreparedData& data,
                                                            const std::string& data_dir) {
  std::vector<std::pair<std::string, std::string>> files;
  auto add_split = [&](const std::string& split, const TokenizedSplit& s) {
    if (split.find('.') != std::string::npos) {  // a .csv / .jsonl table
      files.emplace_back(split, data_dir + "/" + split);
      return;
    }
    for (const auto& id : s.file_ids)
      files.emplace_back(split + "/" + id + ".txt", data_dir + "/" + split + "/" + id + ".txt");
  };
  const bool tables = cfg.data.train_split.find('.') != std::string::npos;
  if (!tables)
    files.emplace_back("annotations_metadata.csv", data_dir + "/annotations_metadata.csv");
  TokenizedSplit train = data.train;
  if (data.validation) {
    const auto& v = *data.validation;
    train.file_ids.insert(train.file_ids.end(), v.file_ids.begin(), v.file_ids.end());
  }
  std::sort(train.file_ids.begin(), train.file_ids.end());
  add_split(cfg.data.train_split, train);
  add_split(cfg.data.test_split, data.test);
  return files;
}

// Train rows for the file: the training split and the validation rows carved from it.
TokenizedSplit full_train(const PreparedData& data) {
  TokenizedSplit t = data.train;
  if (!data.validation) return t;
  const auto& v = *data.validation;
  t.file_ids.insert(t.file_ids.end(), v.file_ids.begin(), v.file_ids.end());
  t.ids.insert(t.ids.end(), v.ids.begin(), v.ids.end());
  t.labels.insert(t.labels.end(), v.labels.begin(), v.labels.end());
  t.lengths.insert(t.lengths.end(), v.lengths.begin(), v.lengths.end());
  t.truncated.insert(t.truncated.end(), v.truncated.begin(), v.truncated.end());
  return t;
}

// This rank's whole batches of the split's plan, embedded, gathered to rank 0 as [N, dim] per
// strategy in the split's order.
io::SplitEmbeddings embed_split(model::DistilBertModel& encoder, const TokenizedSplit& split,
                                const model::EmbedOptions& options,
                                const std::vector<std::string>& names, const dist::World& world,
                                int64_t& forwards) {
  std::vector<int64_t> all(static_cast<size_t>(split.size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  const auto plan = model::plan_batches(split.ids, all, options.batch_size);
  std::vector<int64_t> mine;
  for (size_t b = static_cast<size_t>(world.rank()); b < plan.size();
       b += static_cast<size_t>(world.size()))
    mine.insert(mine.end(), plan[b].begin(), plan[b].end());

  int64_t dim = 0;
  std::vector<float> packed;  // per row: index, then each strategy's vector
  dist::all_or_none(world.comm(), [&] {
    if (mine.empty()) return;
    auto result = model::embed_rows(encoder, split.ids, mine, options);
    forwards += result.forwards;
    dim = result.by_strategy.at(0).size(1);
    for (size_t i = 0; i < mine.size(); ++i) {
      packed.push_back(static_cast<float>(mine[i]));
      for (const auto& t : result.by_strategy) {
        const float* row = t.data_ptr<float>() + static_cast<int64_t>(i) * dim;
        packed.insert(packed.end(), row, row + dim);
      }
    }
  });
  dim = dist::allreduce_max(world.comm(), dim);
  const auto gathered = dist::gather_floats(world.comm(), packed);
  io::SplitEmbeddings out;
  if (world.rank() != 0) return out;
  const int64_t n = split.size(), s = static_cast<int64_t>(names.size());
  std::vector<torch::Tensor> tensors;
  for (int64_t k = 0; k < s; ++k) tensors.push_back(torch::zeros({n, dim}));
  const int64_t stride = 1 + s * dim;
  for (size_t at = 0; at + static_cast<size_t>(stride) <= gathered.size();
       at += static_cast<size_t>(stride)) {
    const auto row = static_cast<int64_t>(gathered[at]);
    for (int64_t k = 0; k < s; ++k)
      std::copy_n(gathered.data() + at + 1 + k * dim, dim,
                  tensors[static_cast<size_t>(k)].data_ptr<float>() + row * dim);
  }
  out.file_ids = split.file_ids;
  for (auto l : split.labels) out.labels.push_back(static_cast<int32_t>(l));
  for (int64_t k = 0; k < s; ++k)
    out.by_strategy[names[static_cast<size_t>(k)]] = tensors[static_cast<size_t>(k)];
  return out;
}

}  // namespace

EmbeddingStageResult run_embedding_stage(const RunConfig& cfg, const PreparedData& data,
                                         const std::string& data_dir, const std::string& run_dir,
                                         const dist::World& world, const train::Execution& exec) {
  const auto start = std::chrono::steady_clock::now();
  EmbeddingStageResult res;
  res.path = run_dir + "/embeddings.h5";
  const auto arch = model_config(cfg, data.vocab_size);
  const uint64_t seed = cfg.embeddings.head.init_seed.at(0);
  auto classifier = make_classifier(cfg, arch, seed);
  classifier->eval();

  // The weights enter the key as the checkpoint's SHA-256, or (random init) as what determines
  // the draw: seed, architecture and a sample of the drawn values (nothing is written).
  model::FingerprintInputs fp;
  if (cfg.model.init == ModelInit::kPretrained)
    fp.weights_path = cfg.model.dir + "/model.safetensors";
  fp.vocab_path = vocab_path(cfg);
  fp.max_length = std::min(cfg.data.max_length, arch.max_position_embeddings);
  fp.data_files = data_files(cfg, data, data_dir);
  fp.label_map = cfg.data.labels;
  fp.pooling = cfg.embeddings.pooling;
  fp.padding = cfg.embeddings.padding;
  fp.precision = cfg.run.precision;
  int64_t hit = 0;
  dist::all_or_none(world.comm(), [&] {
    if (world.rank() != 0) return;
    if (cfg.model.init != ModelInit::kPretrained)
      fp.weights_key = model::random_weights_key(*classifier->distilbert, arch, seed);
    res.fingerprint = model::embedding_fingerprint(fp);
    hit = fs::exists(res.path) && io::read_fingerprint(res.path) == res.fingerprint;
  });
  res.fingerprint = dist::broadcast_string(world.comm(), res.fingerprint);
  res.cache_hit = dist::allreduce_max(world.comm(), hit) > 0;
  if (res.cache_hit) return res;

  model::EmbedOptions options;
  options.batch_size = cfg.embeddings.encode_batch_size;
  options.pooling = fp.pooling;
  options.padding = fp.padding;
  options.pad_id = data.pad_id;
  options.device = exec.device;
  options.bf16 = exec.bf16;
  classifier->to(exec.device);
  std::vector<std::string> names;
  for (auto s : options.strategies) names.push_back(to_string(s));

  int64_t forwards = 0;
  io::EmbeddingsFile file;
  file.splits["train"] =
      embed_split(classifier->distilbert, full_train(data), options, names, world, forwards);
  file.splits["test"] =
      embed_split(classifier->distilbert, data.test, options, names, world, forwards);
  res.forwards = dist::allreduce_sum(world.comm(), forwards);
  dist::all_or_none(world.comm(), [&] {
    if (world.rank() != 0) return;
    file.attrs_str = {
        {"model",
         cfg.model.init == ModelInit::kRandom ? "random:" + std::to_string(seed) : cfg.model.dir},
        {"pooling", to_string(cfg.embeddings.pooling)},
        {"padding", to_string(cfg.embeddings.padding)},
        {"precision", to_string(cfg.run.precision)},
        {"fingerprint", res.fingerprint}};
    file.attrs_int = {{"max_length", fp.max_length}};
    io::write_embeddings_h5(res.path, file);
  });
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace bertgrid::jobs
