// Binary classification metrics (hate = 1).
#include "train/metrics.h"

#include <limits>
#include <string>

#include "core/error.h"

namespace bertgrid::train {
namespace {

double ratio(int64_t num, int64_t den) {
  if (den == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

BinaryMetrics binary_metrics(const std::vector<int64_t>& labels,
                             const std::vector<int64_t>& predictions) {
  if (labels.size() != predictions.size()) {
    throw Error("binary_metrics: " + std::to_string(labels.size()) + " labels but " +
                std::to_string(predictions.size()) + " predictions");
  }
  BinaryMetrics m;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int64_t y = labels[i];
    const int64_t p = predictions[i];
    if ((y != 0 && y != 1) || (p != 0 && p != 1)) {
      throw Error("binary_metrics: item " + std::to_string(i) + " has label " + std::to_string(y) +
                  " and prediction " + std::to_string(p) + "; both must be 0 or 1");
    }
    ++m.confusion[y][p];
  }
  const int64_t tn = m.confusion[0][0], fp = m.confusion[0][1];
  const int64_t fn = m.confusion[1][0], tp = m.confusion[1][1];
  m.count = static_cast<int64_t>(labels.size());
  m.acc_hate = ratio(tp, tp + fn);
  m.acc_no_hate = ratio(tn, tn + fp);
  m.acc_all = ratio(tp + tn, m.count);
  m.precision = ratio(tp, tp + fp);
  m.recall = m.acc_hate;
  const double sum = m.precision + m.recall;  // NaN propagates
  m.f1 = sum == 0.0 ? 0.0 : 2.0 * m.precision * m.recall / sum;
  return m;
}

std::vector<int64_t> argmax_labels(const torch::Tensor& scores) {
  if (scores.dim() != 2 || scores.size(1) != 2) {
    throw Error("argmax_labels: scores must be [N, 2], got " + std::to_string(scores.dim()) +
                "-d with " + std::to_string(scores.numel()) + " elements");
  }
  auto hate = torch::gt(scores.select(1, 1), scores.select(1, 0)).to(torch::kCPU, torch::kInt64);
  hate = hate.contiguous();
  const int64_t* data = hate.data_ptr<int64_t>();
  return std::vector<int64_t>(data, data + hate.numel());
}

}  // namespace bertgrid::train
