// bench_tokenizer: single-threaded WordPiece throughput over every sentence of all_files.
//
// Usage: bench_tokenizer [SHARED_DIR] [RUNS]
//   SHARED_DIR defaults to $BERTGRID_SHARED or ../shared; RUNS to 7. Prints each run and the
//   median sentences/s (the HF Rust tokenizer does about 50,000/s on one core).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "text/tokenizer.h"

int main(int argc, char** argv) {
  try {
    const char* env = std::getenv("BERTGRID_SHARED");
    std::string shared = argc > 1 ? argv[1] : (env ? env : "../shared");
    int runs = argc > 2 ? std::atoi(argv[2]) : 7;
    if (runs < 1) runs = 1;

    auto tok = bertgrid::text::Tokenizer::from_vocab_file(
        shared + "/data/bert-base-uncased-vocab/vocab.txt");
    std::vector<std::string> texts;
    for (const auto& entry :
         std::filesystem::directory_iterator(shared + "/data/hate-speech-dataset/all_files")) {
      if (entry.path().extension() != ".txt") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      texts.push_back(ss.str());
    }
    std::sort(texts.begin(), texts.end());
    size_t bytes = 0;
    for (const auto& t : texts) bytes += t.size();

    std::vector<double> rates;
    size_t checksum = 0;
    std::vector<int32_t> ids;
    for (int r = 0; r < runs + 1; ++r) {  // run 0 warms the caches and is not counted
      auto start = std::chrono::steady_clock::now();
      size_t n_ids = 0;
      for (const auto& t : texts) {
        ids = tok.encode(t);
        n_ids += ids.size();
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      checksum = n_ids;
      if (r == 0) continue;
      rates.push_back(static_cast<double>(texts.size()) / secs);
      std::printf("run %d: %.0f sentences/s (%.1f ms, %zu ids)\n", r, rates.back(), secs * 1e3,
                  n_ids);
    }
    std::sort(rates.begin(), rates.end());
    std::printf(
        "bench_tokenizer: %zu sentences (%.2f MB), %d runs, 1 thread: median %.0f "
        "sentences/s (%.1f MB/s), %zu ids per pass\n",
        texts.size(), bytes / 1e6, runs, rates[rates.size() / 2],
        rates[rates.size() / 2] * bytes / texts.size() / 1e6, checksum);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
