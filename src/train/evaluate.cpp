#include "train/evaluate.h"

#include <torch/torch.h>

#include "core/error.h"
#include "train/batching.h"

namespace bertgrid::train {

Evaluation evaluate(const std::function<torch::Tensor(const std::vector<int64_t>&)>& logits,
                    const std::vector<int64_t>& labels, const std::vector<int64_t>& lengths,
                    int64_t batch_size) {
  const auto n = static_cast<int64_t>(labels.size());
  if (n == 0) throw Error("evaluate: empty split");
  if (!lengths.empty() && lengths.size() != labels.size())
    throw Error("evaluate: " + std::to_string(lengths.size()) + " lengths for " +
                std::to_string(n) + " labels");
  std::vector<int64_t> order;
  if (lengths.empty()) {
    order.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  } else {
    order = text::length_sorted_order(lengths);
  }

  // Every batch's logits stay where the model put them until the pass ends, then come back in one
  // copy (one wait for the device per pass, not one per batch).
  torch::NoGradGuard no_grad;
  const auto batches = text::make_batches(order, batch_size);
  std::vector<torch::Tensor> outs;
  for (const auto& rows : batches) outs.push_back(logits(rows).to(torch::kFloat));
  const torch::Tensor all = torch::cat(outs).to(torch::kCPU);

  Evaluation ev;
  ev.p_hate.assign(static_cast<size_t>(n), 0);
  ev.predictions.assign(static_cast<size_t>(n), 0);
  double loss_sum = 0;
  int64_t offset = 0;
  for (const auto& rows : batches) {
    const auto size = static_cast<int64_t>(rows.size());
    torch::Tensor out = all.narrow(0, offset, size);
    offset += size;
    std::vector<int64_t> y;
    for (int64_t r : rows) y.push_back(labels[static_cast<size_t>(r)]);
    auto target = torch::tensor(y, torch::kInt64);
    loss_sum +=
        torch::nn::functional::cross_entropy(
            out, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    auto p = torch::softmax(out, 1).select(1, 1).contiguous();
    auto pred = argmax_labels(out);
    for (size_t i = 0; i < rows.size(); ++i) {
      ev.p_hate[static_cast<size_t>(rows[i])] = p[static_cast<int64_t>(i)].item<double>();
      ev.predictions[static_cast<size_t>(rows[i])] = pred[i];
    }
  }
  ev.loss = loss_sum / static_cast<double>(n);
  ev.metrics = binary_metrics(labels, ev.predictions);
  return ev;
}

}  // namespace bertgrid::train
