// Classification metrics for the binary hate-speech task (hate = 1, noHate = 0): the notebook's
// per-class accuracies (accHate, accNoHate, accAll) plus precision/recall/F1 for hate and the
// confusion matrix.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <vector>

namespace bertgrid::train {

struct BinaryMetrics {
  // confusion[true][predicted], labels 0 = noHate, 1 = hate.
  std::array<std::array<int64_t, 2>, 2> confusion{};
  double acc_hate = 0;     // recall on hate: TP / (#true hate); NaN when there is no hate example
  double acc_no_hate = 0;  // TN / (#true noHate); NaN when there is no noHate example
  double acc_all = 0;      // (TP + TN) / N; NaN when N = 0
  double precision = 0;    // TP / (TP + FP) for hate; NaN when nothing is predicted hate
  double recall = 0;       // = acc_hate
  double f1 = 0;           // 2PR / (P + R); NaN when P or R is NaN, 0 when P + R = 0
  int64_t count = 0;
};

// labels and predictions: equal length, values 0 or 1 (bertgrid::Error otherwise).
// Empty classes give NaN (as sklearn's accuracy_score on an empty selection in the notebook),
// never a made-up 0 or 1.
BinaryMetrics binary_metrics(const std::vector<int64_t>& labels,
                             const std::vector<int64_t>& predictions);

// Predicted labels from scores [N, 2] (logits or probabilities): 1 where score[:,1] >
// score[:,0], else 0 (a tie gives 0, as argmax's first maximum).
std::vector<int64_t> argmax_labels(const torch::Tensor& scores);

}  // namespace bertgrid::train
