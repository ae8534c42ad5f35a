// Shuffles, length orders and fixed-size batches of example indices.
#include "text/batch_order.h"

#include <algorithm>
#include <numeric>

namespace bertgrid::text {
namespace {

// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed 64-bit generator.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), bound > 0, by rejecting the top partial range of 2^64.
  uint64_t below(uint64_t bound) {
    const uint64_t limit = (0 - bound) % bound;  // 2^64 mod bound
    uint64_t x = next();
    while (x < limit) x = next();
    return x % bound;
  }

 private:
  uint64_t state_;
};

}  // namespace

std::vector<int64_t> epoch_permutation(uint64_t data_seed, int64_t epoch, int64_t n) {
  if (n < 0 || epoch < 0) {
    throw Error("epoch_permutation: n " + std::to_string(n) + " and epoch " +
                std::to_string(epoch) + " must be >= 0");
  }
  // Derive the stream seed from both inputs through one generator step each, so nearby
  // (seed, epoch) pairs give unrelated permutations.
  SplitMix64 seeder(data_seed);
  const uint64_t base = seeder.next();
  SplitMix64 rng(base ^ SplitMix64(static_cast<uint64_t>(epoch) + 0x632BE59BD9B4E019ULL).next());
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i) + 1));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  return perm;
}

std::vector<int64_t> length_grouped_order(const std::vector<int64_t>& order,
                                          const std::vector<int64_t>& lengths, int64_t batch_size) {
  if (batch_size <= 0)
    throw Error("length_grouped_order: batch_size " + std::to_string(batch_size));
  for (int64_t row : order)
    if (row < 0 || static_cast<size_t>(row) >= lengths.size())
      throw Error("length_grouped_order: row " + std::to_string(row) + " has no length (" +
                  std::to_string(lengths.size()) + " lengths)");
  const auto n = static_cast<int64_t>(order.size());
  const int64_t mult = std::max<int64_t>(1, std::min<int64_t>(n / (4 * batch_size), 50));
  const auto mega = static_cast<size_t>(mult * batch_size);
  auto length = [&](int64_t row) { return lengths[static_cast<size_t>(row)]; };
  std::vector<int64_t> out = order;
  std::vector<size_t> starts;
  for (size_t begin = 0; begin < out.size(); begin += mega) {
    const auto first = out.begin() + static_cast<std::ptrdiff_t>(begin);
    const auto last = out.begin() + static_cast<std::ptrdiff_t>(std::min(out.size(), begin + mega));
    std::stable_sort(first, last, [&](int64_t a, int64_t b) { return length(a) > length(b); });
    starts.push_back(begin);
  }
  size_t longest = 0;  // the first megabatch whose head is the longest head
  for (size_t k = 1; k < starts.size(); ++k)
    if (length(out[starts[k]]) > length(out[starts[longest]])) longest = k;
  if (!starts.empty()) std::swap(out[0], out[starts[longest]]);
  return out;
}

std::vector<std::vector<int64_t>> make_batches(const std::vector<int64_t>& order,
                                               int64_t batch_size) {
  if (batch_size <= 0) throw Error("make_batches: batch_size " + std::to_string(batch_size));
  std::vector<std::vector<int64_t>> batches;
  const auto step = static_cast<size_t>(batch_size);
  for (size_t begin = 0; begin < order.size(); begin += step) {
    const size_t end = std::min(order.size(), begin + step);
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

std::vector<int64_t> length_sorted_order(const std::vector<int64_t>& lengths) {
  std::vector<int64_t> order(lengths.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return lengths[static_cast<size_t>(a)] > lengths[static_cast<size_t>(b)];
  });
  return order;
}

torch::Tensor restore_order(const torch::Tensor& values, const std::vector<int64_t>& order) {
  if (values.dim() == 0 || values.size(0) != static_cast<int64_t>(order.size())) {
    throw Error("restore_order: tensor with " +
                std::to_string(values.dim() == 0 ? 0 : values.size(0)) + " rows for an order of " +
                std::to_string(order.size()));
  }
  auto index = torch::tensor(order, torch::kInt64).to(values.device());
  return torch::empty_like(values).index_copy_(0, index, values);
}

}  // namespace bertgrid::text
