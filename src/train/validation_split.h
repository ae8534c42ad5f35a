// A validation split carved from train: stratified by label, seeded, independent of ranks.
#pragma once

#include <cstdint>
#include <vector>

namespace bertgrid::train {

struct TrainValidation {
  std::vector<int64_t> train;       // row indices kept for training, ascending
  std::vector<int64_t> validation;  // row indices held out, ascending
};

// From each label's rows, round(fraction * count) go to validation, chosen by a seeded shuffle.
TrainValidation stratified_split(const std::vector<int64_t>& labels, double fraction,
                                 uint64_t seed);

}  // namespace bertgrid::train
