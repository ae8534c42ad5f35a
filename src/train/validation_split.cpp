#include "train/validation_split.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "text/batch_order.h"

namespace bertgrid::train {

TrainValidation stratified_split(const std::vector<int64_t>& labels, double fraction,
                                 uint64_t seed) {
  if (fraction < 0 || fraction >= 1)
    throw Error("validation fraction must be in [0, 1), got " + std::to_string(fraction));
  std::map<int64_t, std::vector<int64_t>> by_label;
  for (size_t i = 0; i < labels.size(); ++i) by_label[labels[i]].push_back(static_cast<int64_t>(i));
  TrainValidation out;
  for (const auto& [label, rows] : by_label) {
    const auto n = static_cast<int64_t>(rows.size());
    const auto held = static_cast<int64_t>(std::llround(fraction * static_cast<double>(n)));
    // Epoch slot = the label, so each label's shuffle is its own.
    const auto perm = text::epoch_permutation(seed, label, n);
    for (int64_t i = 0; i < n; ++i)
      (i < held ? out.validation : out.train).push_back(rows[static_cast<size_t>(perm[i])]);
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.validation.begin(), out.validation.end());
  return out;
}

}  // namespace bertgrid::train
