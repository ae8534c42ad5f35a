// Padded token batches and rank sharding of example indices.
#include "train/batching.h"

#include <numeric>

namespace bertgrid::train {

int64_t padded_length(int64_t longest, const PadTo& pad) {
  if (pad.multiple <= 0 || pad.limit < 0 || longest < 0) {
    throw Error("padded_length: multiple " + std::to_string(pad.multiple) + ", limit " +
                std::to_string(pad.limit) + ", longest " + std::to_string(longest));
  }
  const int64_t rounded = (longest + pad.multiple - 1) / pad.multiple * pad.multiple;
  if (pad.limit > 0 && rounded > pad.limit) return std::max(longest, pad.limit);
  return rounded;
}

Shard shard_range(int64_t batch_size, int rank, int world_size) {
  if (world_size <= 0 || rank < 0 || rank >= world_size || batch_size < 0) {
    throw Error("shard_range: rank " + std::to_string(rank) + " of world " +
                std::to_string(world_size) + " with batch " + std::to_string(batch_size));
  }
  const int64_t base = batch_size / world_size;
  const int64_t extra = batch_size % world_size;
  const int64_t r = rank;
  return Shard{r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

std::vector<int64_t> shard_batch(const std::vector<int64_t>& batch, int rank, int world_size) {
  const Shard s = shard_range(static_cast<int64_t>(batch.size()), rank, world_size);
  return std::vector<int64_t>(batch.begin() + static_cast<std::ptrdiff_t>(s.begin),
                              batch.begin() + static_cast<std::ptrdiff_t>(s.begin + s.count));
}

}  // namespace bertgrid::train
