// bench_forward: DistilBERT encoder forward throughput on the CPU (inference mode), over the real
// sampled_train sentences in length-sorted batches with dynamic padding; random weights.
//
// Usage: bench_forward [--shape tiny|base] [--sentences N] [--batch-size 32] [--threads T]
//                      [--runs R] [--ids-out FILE] [--shared DIR]
//   tiny = dim 32, 2 layers, 4 heads, hidden 64; base = 768/6/12/3072. N = 0 (default) takes
//   every sentence, else the first N by file_id. --ids-out writes the token ids as JSON
//   ({"ids": [[...], ...]}) for bench/forward_eager.py. Prints each run and a final line
//   "cpp SHAPE SENT_PER_S" with the median sentences/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "core/error.h"
#include "core/threads.h"
#include "model/distilbert.h"
#include "model/embedder.h"
#include "text/dataset.h"
#include "text/tokenizer.h"
#include "train/batching.h"

namespace {

using bertgrid::bench::flag;

constexpr const char* kUsage =
    "Usage: bench_forward [--shape tiny|base] [--sentences N] [--batch-size 32] [--threads T]\n"
    "                     [--runs R] [--ids-out FILE] [--shared DIR]\n"
    "  tiny = dim 32, 2 layers, 4 heads, hidden 64; base = 768/6/12/3072. N = 0 (default) takes\n"
    "  every sentence, else the first N by file_id. --ids-out writes the token ids as JSON\n"
    "  ({\"ids\": [[...], ...]}) for bench/forward_eager.py. Prints each run and a final line\n"
    "  \"cpp SHAPE SENT_PER_S\" with the median sentences/s.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace bertgrid;
  if (bench::wants_help(argc, argv, kUsage)) return 0;
  try {
    const std::string shared = bench::shared_dir(argc, argv);
    const std::string shape = flag(argc, argv, "shape", "tiny");
    const auto sentences = std::stoll(flag(argc, argv, "sentences", "0"));
    const auto batch_size = std::stoll(flag(argc, argv, "batch-size", "32"));
    const int threads = std::stoi(flag(argc, argv, "threads", "0"));
    const int runs = std::max(1, std::stoi(flag(argc, argv, "runs", "5")));
    const std::string ids_out = flag(argc, argv, "ids-out", "");
    if (threads > 0) bertgrid::set_compute_threads(threads);

    const model::DistilBertConfig config = bench::shape_config(shape);
    const auto examples = text::read_vicomtech_split(shared + "/data/hate-speech-dataset",
                                                     "sampled_train", text::LabelMap{});
    std::vector<std::string> texts;
    for (const auto& e : examples) {
      if (sentences > 0 && static_cast<long long>(texts.size()) >= sentences) break;
      texts.push_back(e.text);
    }
    const auto tokenizer =
        text::Tokenizer::from_vocab_file(shared + "/data/bert-base-uncased-vocab/vocab.txt");
    const auto ids = model::tokenize_texts(tokenizer, texts, 512).ids;
    if (!ids_out.empty()) {
      std::ofstream out(ids_out);
      out << "{\"ids\": [";
      for (size_t i = 0; i < ids.size(); ++i) {
        out << (i ? ",\n[" : "[");
        for (size_t j = 0; j < ids[i].size(); ++j) out << (j ? "," : "") << ids[i][j];
        out << "]";
      }
      out << "]}\n";
      if (!out) throw Error(ids_out + ": write failed");
    }

    model::DistilBertModel encoder(config);
    model::init_weights(*encoder, config, 0);
    encoder->eval();
    std::vector<int64_t> rows(ids.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
    const auto plan = model::plan_batches(ids, rows, batch_size);
    std::vector<int> no_labels(ids.size(), 0);
    std::vector<train::Batch> batches;
    for (const auto& b : plan) batches.push_back(train::pad_batch(ids, no_labels, b, 0));

    c10::InferenceMode guard;
    std::vector<double> rates;
    for (int run = -1; run < runs; ++run) {  // run -1 warms up
      const auto start = std::chrono::steady_clock::now();
      for (const auto& b : batches) encoder->forward(b.input_ids, b.attention_mask);
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (run < 0) continue;
      rates.push_back(static_cast<double>(ids.size()) / s);
      std::fprintf(stderr, "bench_forward %s run %d: %.1f sent/s (%.2f s)\n", shape.c_str(), run,
                   rates.back(), s);
    }
    std::sort(rates.begin(), rates.end());
    std::printf("cpp %s %.2f\n", shape.c_str(), rates[rates.size() / 2]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_forward: %s\n", e.what());
    return 1;
  }
}
