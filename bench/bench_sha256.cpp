// Usage: bench_sha256 [--megabytes N] [--repeats R]
// SHA-256 throughput on one checkpoint-sized buffer (default 800 MB, about a distilbert-base
// checkpoint with its AdamW state), hashed R times (default 3) through bertgrid's Sha256; prints
// each run's seconds and GB/s, then the median GB/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "core/sha256.h"

namespace {

constexpr const char* kUsage =
    "Usage: bench_sha256 [--megabytes N] [--repeats R]\n"
    "SHA-256 throughput of bertgrid's hasher on an N MB buffer (default 800), R runs (default "
    "3).\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace bertgrid;
  if (bench::wants_help(argc, argv, kUsage)) return 0;
  const long megabytes = std::stol(bench::flag(argc, argv, "megabytes", "800"));
  const int repeats = std::stoi(bench::flag(argc, argv, "repeats", "3"));
  std::vector<unsigned char> buffer(static_cast<size_t>(megabytes) * 1000 * 1000);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<unsigned char>(i * 131 + 7);
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    Sha256 hasher;
    hasher.update(buffer.data(), buffer.size());
    const std::string digest = hasher.finish_hex();
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(buffer.size() / s / 1e9);
    std::printf("run %d: %ld MB in %.3f s, %.2f GB/s (%s)\n", r + 1, megabytes, s, rates.back(),
                digest.substr(0, 12).c_str());
  }
  std::sort(rates.begin(), rates.end());
  std::printf("sha256 median: %.2f GB/s over %d runs\n", rates[rates.size() / 2], repeats);
  return 0;
}
