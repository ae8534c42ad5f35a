// StepGraphs: capture per batch shape, replay after.
#include "train/step_graphs.h"

#include <map>
#include <string>
#include <vector>

#include "core/error.h"

#ifdef BERTGRID_TORCH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace bertgrid::train {
namespace {

std::string shape_text(const TaskInputs& inputs) {
  std::string text;
  for (const auto& t : inputs) {
    text += text.empty() ? "[" : ", [";
    for (int64_t d = 0; d < t.dim(); ++d) text += (d ? "x" : "") + std::to_string(t.size(d));
    text += "]";
  }
  return text;
}

}  // namespace

#ifdef BERTGRID_TORCH_CUDA

namespace {

// The inputs' shapes, one after the other, each behind its rank: the key of a graph.
std::vector<int64_t> shape_key(const TaskInputs& inputs) {
  std::vector<int64_t> key;
  for (const auto& t : inputs) {
    key.push_back(t.dim());
    for (int64_t s : t.sizes()) key.push_back(s);
  }
  return key;
}

}  // namespace

struct StepGraphs::Impl {
  struct Graph {
    std::unique_ptr<at::cuda::CUDAGraph> graph;
    TaskInputs inputs;   // fixed device tensors the graph reads
    torch::Tensor loss;  // the graph's output: the loss sum, float32 [1]
  };

  Impl(TrainingTask& t, FlatParams& f, torch::Device d, bool b)
      : task(t), flat(f), device(d), bf16(b) {
    divisor = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
    pool = at::cuda::graph_pool_handle();
  }

  // Zeroed grads, the loss and its backward, as queued on the current stream.
  torch::Tensor run(const TaskInputs& inputs) {
    flat.zero_grad();
    return loss_and_backward(task, inputs, bf16, divisor);
  }

  // `body` captured on a side stream into a new graph of the shared pool.
  std::unique_ptr<at::cuda::CUDAGraph> capture_call(const std::function<void()>& body,
                                                    const std::string& what) {
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    torch::cuda::synchronize(device.index());
    const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, device.index());
    {
      c10::cuda::CUDAStreamGuard on_side(side);
      graph->capture_begin(pool);
      try {
        body();
      } catch (const std::exception& e) {
        try {
          graph->capture_end();
        } catch (const std::exception&) {  // the capture is broken already; its error is e's
        }
        throw Error("CUDA graph capture of " + what + " failed: " + e.what() +
                    " (run.cuda_graphs = false runs the step without graphs)");
      }
      graph->capture_end();
    }
    torch::cuda::synchronize(device.index());
    return graph;
  }

  std::unique_ptr<Graph> capture(const TaskInputs& host_inputs) {
    auto g = std::make_unique<Graph>();
    for (const auto& t : host_inputs) g->inputs.push_back(t.to(device));
    // The warm-up runs on a side stream that starts after everything queued so far (the inputs,
    // the divisor); the capture after it (whole-device synchronisations, paid once per shape).
    torch::cuda::synchronize(device.index());
    {
      const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, device.index());
      c10::cuda::CUDAStreamGuard on_side(side);
      run(g->inputs);  // warm-up, eager; the graph zeroes its gradient first
      side.synchronize();
    }
    g->graph = capture_call([&] { g->loss = run(g->inputs); },
                            "the training step for inputs " + shape_text(host_inputs));
    flat.check_views();
    return g;
  }

  TrainingTask& task;
  FlatParams& flat;
  torch::Device device;
  bool bf16;
  torch::Tensor divisor;  // global batch size, a device scalar the graphs read at replay
  decltype(at::cuda::graph_pool_handle()) pool;  // (its type moved between libtorch versions)
  std::map<std::vector<int64_t>, std::unique_ptr<Graph>> graphs;
  bool update_warmed = false;
  std::unique_ptr<at::cuda::CUDAGraph> update_graph;
};

StepGraphs::StepGraphs(TrainingTask& task, FlatParams& flat, torch::Device device, bool bf16) {
  if (!device.is_cuda())
    throw Error("run.cuda_graphs: CUDA graphs need a GPU, but the trainer runs on " + device.str());
  impl_ = std::make_unique<Impl>(task, flat, device, bf16);
}

torch::Tensor StepGraphs::forward_backward(const TaskInputs& host_inputs, double global_n) {
  Impl& m = *impl_;
  m.divisor.fill_(global_n);
  const auto key = shape_key(host_inputs);
  auto it = m.graphs.find(key);
  if (it == m.graphs.end()) it = m.graphs.emplace(key, m.capture(host_inputs)).first;
  Impl::Graph& g = *it->second;
  for (size_t i = 0; i < host_inputs.size(); ++i)
    g.inputs[i].copy_(host_inputs[i].pin_memory(), /*non_blocking=*/true);
  g.graph->replay();
  return g.loss;
}

size_t StepGraphs::captured() const {
  return impl_->graphs.size();
}

void StepGraphs::update(const std::function<void()>& body) {
  Impl& m = *impl_;
  if (!m.update_graph) {
    if (!m.update_warmed) {
      m.update_warmed = true;
      body();
      return;
    }
    m.update_graph = m.capture_call(body, "the optimiser update");
  }
  m.update_graph->replay();
}

bool StepGraphs::available() {
  return true;
}

#else

struct StepGraphs::Impl {};

StepGraphs::StepGraphs(TrainingTask&, FlatParams&, torch::Device, bool) {
  throw Error(
      "run.cuda_graphs: this bertgrid was built against a libtorch without CUDA (no CUDA "
      "graphs); set run.cuda_graphs = false");
}

torch::Tensor StepGraphs::forward_backward(const TaskInputs& host_inputs, double) {
  throw Error("StepGraphs: no CUDA graphs in this build (inputs " + shape_text(host_inputs) + ")");
}

size_t StepGraphs::captured() const {
  return 0;
}

void StepGraphs::update(const std::function<void()>&) {
  throw Error("StepGraphs: no CUDA graphs in this build");
}

bool StepGraphs::available() {
  return false;
}

#endif

StepGraphs::~StepGraphs() = default;

}  // namespace bertgrid::train
