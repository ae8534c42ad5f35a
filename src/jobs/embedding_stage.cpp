#include "jobs/embedding_stage.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "dist/collectives.h"
#include "io/embeddings_h5.h"
#include "jobs/model_source.h"
#include "model/embedder.h"

namespace bertgrid::jobs {
namespace fs = std::filesystem;
namespace {

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

// What the file depends on, but for the random-initialisation key (rank 0 draws that).
model::FingerprintInputs fingerprint_inputs(const RunConfig& cfg, const PreparedData& data,
                                            const std::string& data_dir,
                                            const model::DistilBertConfig& arch) {
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
  fp.strategies = cfg.embeddings.strategies;
  return fp;
}

// A given file (`run --embeddings`) whose fingerprint is not `fp`'s: an error naming the fields
// that differ, from the inputs the file records.
void refuse_given(const std::string& path, const model::EmbeddingFingerprint& fp) {
  const auto found = io::read_fingerprint(path);
  if (!found)
    throw Error(path +
                ": not an embeddings file with a fingerprint (write one with "
                "`bertgrid embed --config`)");
  if (*found == fp.hex) return;
  const auto recorded = io::read_root_string(path, "fingerprint_inputs");
  if (!recorded)
    throw Error(path +
                ": its fingerprint differs from this run's, and it does not record its "
                "inputs (an older file); recompute it with `bertgrid embed --config`");
  std::map<std::string, std::string> fields;
  try {
    fields = nlohmann::json::parse(*recorded).get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path +
                ": attribute 'fingerprint_inputs' is not a JSON object of strings: " + e.what());
  }
  const std::string diff = model::fingerprint_difference(fields, fp.fields, "the file");
  throw Error(path + ": embeddings made with other inputs than this run's: " +
              (diff.empty() ? "the fingerprint differs" : diff));
}

// Whether the run's own file holds these embeddings. A file there that cannot be read (or has no
// fingerprint) is computed again and replaced, with a warning.
bool target_matches(const std::string& path, const std::string& fingerprint,
                    std::vector<std::string>& warnings) {
  if (!fs::exists(path)) return false;
  const auto found = io::read_fingerprint(path);
  if (!found) {
    warnings.push_back(path +
                       ": unreadable, or not an embeddings file with a fingerprint; "
                       "computing the embeddings again and replacing it");
    std::cerr << "warning: " << warnings.back() << std::endl;
  }
  return found == fingerprint;
}

// Rank 0 decides: the fingerprint, and whether the target's file can be used as it is.
bool agree_on_cache(const RunConfig& cfg, model::FingerprintInputs& fp,
                    const model::DistilBertConfig& arch, torch::nn::Module& encoder,
                    const EmbeddingTarget& target, const dist::World& world,
                    model::EmbeddingFingerprint& out, std::vector<std::string>& warnings) {
  int64_t hit = 0;
  dist::all_or_none(world.comm(), [&] {
    if (world.rank() != 0) return;
    if (cfg.model.init != ModelInit::kPretrained)
      fp.weights_key =
          model::random_weights_key(encoder, arch, cfg.embeddings.head.init_seed.at(0));
    out = model::fingerprint_embeddings(fp);
    if (!target.given.empty()) refuse_given(target.given, out);
    hit = !target.given.empty() || target_matches(target.path, out.hex, warnings);
  });
  out.hex = dist::broadcast_string(world.comm(), out.hex);
  return dist::allreduce_max(world.comm(), hit) > 0;
}

void write_file(const RunConfig& cfg, const model::EmbeddingFingerprint& fp, int64_t max_length,
                io::EmbeddingsFile& file, const std::string& path) {
  const uint64_t seed = cfg.embeddings.head.init_seed.at(0);
  file.attrs_str = {
      {"model",
       cfg.model.init == ModelInit::kRandom ? "random:" + std::to_string(seed) : cfg.model.dir},
      {"pooling", to_string(cfg.embeddings.pooling)},
      {"padding", to_string(cfg.embeddings.padding)},
      {"precision", to_string(cfg.run.precision)},
      {"fingerprint", fp.hex},
      {"fingerprint_inputs", nlohmann::json(fp.fields).dump()}};
  file.attrs_int = {{"max_length", max_length}};
  io::write_embeddings_h5(path, file);
}

}  // namespace

EmbeddingStageResult run_embedding_stage(const RunConfig& cfg, const PreparedData& data,
                                         const std::string& data_dir, const EmbeddingTarget& target,
                                         const dist::World& world, const train::Execution& exec,
                                         const EmbeddingProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  EmbeddingStageResult res;
  res.path = target.given.empty() ? target.path : target.given;
  const auto arch = model_config(cfg, data.vocab_size);
  auto classifier = make_classifier(cfg, arch, cfg.embeddings.head.init_seed.at(0));
  classifier->eval();

  // The weights enter the key as the checkpoint's SHA-256, or (random init) as what determines
  // the draw: seed, architecture and a sample of the drawn values (nothing is written).
  auto inputs = fingerprint_inputs(cfg, data, data_dir, arch);
  model::EmbeddingFingerprint fp;
  res.cache_hit =
      agree_on_cache(cfg, inputs, arch, *classifier->distilbert, target, world, fp, res.warnings);
  res.fingerprint = fp.hex;
  if (res.cache_hit) return res;

  model::EmbedOptions options;
  options.batch_size = cfg.embeddings.encode_batch_size;
  options.strategies = inputs.strategies;
  options.pooling = inputs.pooling;
  options.padding = inputs.padding;
  options.pad_id = data.pad_id;
  options.device = exec.device;
  options.bf16 = exec.bf16;
  options.packed = exec.packs_evaluation();  // not in the fingerprint: only rounding changes
  classifier->to(exec.device);
  std::vector<std::string> names;
  for (auto s : options.strategies) names.push_back(to_string(s));

  int64_t forwards = 0;
  io::EmbeddingsFile file;
  for (const std::string split : {"train", "test"}) {
    if (progress && world.rank() == 0)
      options.progress = [&](int64_t done, int64_t total) { progress(split, done, total); };
    file.splits[split] =
        embed_split(classifier->distilbert, split == "train" ? full_train(data) : data.test,
                    options, names, world, forwards);
  }
  res.forwards = dist::allreduce_sum(world.comm(), forwards);
  dist::all_or_none(world.comm(), [&] {
    if (world.rank() == 0) write_file(cfg, fp, inputs.max_length, file, res.path);
  });
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace bertgrid::jobs
