// Evaluation of a classifier over a split: batches sorted by length, no gradients, the mean
// cross-entropy (HF Trainer's eval_loss: every example weighs the same), P(hate) per example in
// the split's own order, and the binary metrics.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

#include "train/metrics.h"

namespace bertgrid::train {

struct Evaluation {
  double loss = 0;
  BinaryMetrics metrics;
  std::vector<double> p_hate;        // softmax probability of label 1, in the split's order
  std::vector<int64_t> predictions;  // argmax labels, in the split's order
};

// `logits(rows)` gives [rows, 2] logits for rows of the split (the caller puts the model in eval
// mode). `lengths` (token counts; empty = no sorting) order the batches longest first.
Evaluation evaluate(const std::function<torch::Tensor(const std::vector<int64_t>&)>& logits,
                    const std::vector<int64_t>& labels, const std::vector<int64_t>& lengths,
                    int64_t batch_size);

}  // namespace bertgrid::train
