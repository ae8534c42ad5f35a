// bench_embedding_stage: the fixed costs of the grid's embedding stage (jobs/embedding_stage.cpp)
// for a randomly initialised encoder, piece by piece, without the encoder forwards: drawing the
// classifier (make_classifier's random path), the random-init weights key, writing the drawn
// encoder as safetensors and hashing it ("old": what the stage did before the key, and what the
// pretrained path's hash of model.safetensors costs), the vocab and data-file hashes, the whole
// fingerprint both ways, and the HDF5 write of embeddings of the real sizes.
//
// Usage: bench_embedding_stage [--shape base|tiny] [--repeats R] [--shared DIR] [--tmp DIR]
//                              [--threads T]
//   base = distilbert-base-uncased (vocab 30522, dim 768, 6 layers, 12 heads, hidden 3072);
//   tiny = dim 32, 2 layers, 4 heads, hidden 64. Every piece runs R times (default 3); prints
//   each piece's median seconds ("piece NAME SECONDS"). The data files are sampled_train and
//   sampled_test (1,914 + 478 text files) and annotations_metadata.csv, as the paper grid lists
//   them; the HDF5 file holds 1,914 train and 478 test rows of 5 strategies at the shape's dim.
//   SHARED_DIR defaults to $BERTGRID_SHARED or ../shared; TMP_DIR (default: a fresh folder
//   under the system temp dir, removed at the end) receives the written files.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench/bench_common.h"
#include "core/error.h"
#include "core/sha256.h"
#include "core/threads.h"
#include "io/embeddings_h5.h"
#include "model/distilbert.h"
#include "model/embedder.h"
#include "model/safetensors.h"
#include "text/dataset.h"

namespace {

using bertgrid::bench::flag;

constexpr const char* kUsage =
    "Usage: bench_embedding_stage [--shape base|tiny] [--repeats R] [--shared DIR] [--tmp DIR]\n"
    "                             [--threads T]\n"
    "  base = distilbert-base-uncased (vocab 30522, dim 768, 6 layers, 12 heads, hidden 3072);\n"
    "  tiny = dim 32, 2 layers, 4 heads, hidden 64. Every piece runs R times (default 3); prints\n"
    "  each piece's median seconds (\"piece NAME SECONDS\"). The data files are sampled_train and\n"
    "  sampled_test (1,914 + 478 text files) and annotations_metadata.csv, as the paper grid "
    "lists\n"
    "  them; the HDF5 file holds 1,914 train and 478 test rows of 5 strategies at the shape's "
    "dim.\n"
    "  SHARED_DIR defaults to $BERTGRID_SHARED or ../shared; TMP_DIR (default: a fresh folder\n"
    "  under the system temp dir, removed at the end) receives the written files.\n";

namespace fs = std::filesystem;

// Runs `piece` `repeats` times and prints and returns the median seconds.
double time_piece(const std::string& name, int repeats, const std::function<void()>& piece) {
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    piece();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  std::printf("piece %-28s %8.3f s  (min %.3f, max %.3f, %d runs)\n", name.c_str(), median,
              seconds.front(), seconds.back(), repeats);
  std::fflush(stdout);
  return median;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bertgrid;
  if (bench::wants_help(argc, argv, kUsage)) return 0;
  try {
    const std::string shared = bench::shared_dir(argc, argv);
    const std::string shape = flag(argc, argv, "shape", "base");
    const int repeats = std::max(1, std::stoi(flag(argc, argv, "repeats", "3")));
    const int threads = std::stoi(flag(argc, argv, "threads", "0"));
    if (threads > 0) set_compute_threads(threads);
    std::string tmp = flag(argc, argv, "tmp", "");
    const bool own_tmp = tmp.empty();
    if (own_tmp) {
      tmp = (fs::temp_directory_path() / ("bench_embedding_stage." + std::to_string(::getpid())))
                .string();
    }
    fs::create_directories(tmp);

    model::DistilBertConfig arch = bench::shape_config(shape);
    const std::string data_dir = shared + "/data/hate-speech-dataset";
    const std::string vocab = shared + "/data/bert-base-uncased-vocab/vocab.txt";
    const uint64_t seed = 42;

    // make_classifier's random path (jobs/model_source.cpp): construct, then draw from the seed.
    model::DistilBertForSequenceClassification classifier(arch);
    time_piece("make_classifier", repeats, [&] {
      classifier = model::DistilBertForSequenceClassification(arch);
      model::init_weights(*classifier, arch, seed);
    });
    classifier->eval();
    time_piece("  of which init_weights", repeats,
               [&] { model::init_weights(*classifier, arch, seed); });
    time_piece("new: random_weights_key", repeats,
               [&] { model::random_weights_key(*classifier->distilbert, arch, seed); });

    // The stage before the random-init key: rank 0 saved the drawn encoder, and the fingerprint
    // hashed the file.
    const std::string weights = tmp + "/random_encoder.safetensors";
    time_piece("old: write encoder", repeats, [&] {
      std::vector<std::pair<std::string, torch::Tensor>> tensors;
      for (const auto& p : classifier->distilbert->named_parameters())
        tensors.emplace_back("distilbert." + p.key(), p.value());
      model::save_safetensors(weights, tensors);
    });
    const double bytes = static_cast<double>(fs::file_size(weights));
    const double hash_s =
        time_piece("old: sha256 encoder file", repeats, [&] { sha256_file_hex(weights); });
    std::printf("sha256 %.0f MB in %.3f s: %.0f MB/s\n", bytes / 1e6, hash_s, bytes / 1e6 / hash_s);

    // The data files the paper grid's fingerprint lists (jobs/embedding_stage.cpp data_files).
    model::FingerprintInputs fp;
    fp.vocab_path = vocab;
    fp.max_length = 512;
    fp.data_files.emplace_back("annotations_metadata.csv", data_dir + "/annotations_metadata.csv");
    std::map<std::string, std::vector<text::Example>> splits;
    for (const std::string split : {"sampled_train", "sampled_test"}) {
      splits[split] = text::read_vicomtech_split(data_dir, split, text::LabelMap{});
      std::vector<std::string> ids;
      for (const auto& e : splits[split]) ids.push_back(e.file_id);
      std::sort(ids.begin(), ids.end());
      for (const auto& id : ids)
        fp.data_files.emplace_back(split + "/" + id + ".txt",
                                   data_dir + "/" + split + "/" + id + ".txt");
    }
    fp.label_map = text::LabelMap{}.entries;
    time_piece("vocab hash", repeats, [&] { sha256_file_hex(vocab); });
    time_piece("data-file hashes (" + std::to_string(fp.data_files.size()) + ")", repeats, [&] {
      for (const auto& f : fp.data_files) sha256_file_hex(f.second);
    });
    fp.weights_path = weights;
    time_piece("old: fingerprint (file)", repeats, [&] { model::embedding_fingerprint(fp); });
    fp.weights_path.clear();
    time_piece("new: fingerprint (random key)", repeats, [&] {
      fp.weights_key = model::random_weights_key(*classifier->distilbert, arch, seed);
      model::embedding_fingerprint(fp);
    });

    // The HDF5 write of the stage's embeddings: 5 strategies of [N, dim] float32 per split.
    io::EmbeddingsFile file;
    file.attrs_str = {{"model", "random:42"},
                      {"pooling", "masked"},
                      {"padding", "dynamic"},
                      {"precision", "fp32"},
                      {"fingerprint", std::string(64, '0')}};
    file.attrs_int = {{"max_length", 512}};
    torch::manual_seed(0);
    for (const auto& [split, examples] : splits) {
      io::SplitEmbeddings s;
      for (const auto& e : examples) {
        s.file_ids.push_back(e.file_id);
        s.labels.push_back(e.label);
      }
      const auto n = static_cast<int64_t>(examples.size());
      for (const char* name : {"CLS", "LAST_MEAN", "LAST_MAX", "LAST2_MEAN", "LAST2_MAX"})
        s.by_strategy[name] = torch::randn({n, arch.dim});
      file.splits[split == "sampled_train" ? "train" : "test"] = std::move(s);
    }
    const std::string h5 = tmp + "/embeddings.h5";
    time_piece("hdf5 write", repeats, [&] { io::write_embeddings_h5(h5, file); });
    std::printf("embeddings.h5: %.1f MB\n", static_cast<double>(fs::file_size(h5)) / 1e6);

    if (own_tmp) fs::remove_all(tmp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_embedding_stage: %s\n", e.what());
    return 1;
  }
  return 0;
}
