// Where and how a job's tensors are computed: the device, mixed precision, and the speed
// switches of the run section (fused AdamW, pinned asynchronous copies). Built once per run from
// the config and handed to every job.
#pragma once

#include <torch/types.h>

#include "core/choices.h"

namespace bertgrid::train {

struct Execution {
  torch::Device device = torch::kCPU;
  bool bf16 = false;         // autocast: matrix products in bfloat16 (run.precision = "bf16")
  bool fused_adamw = false;  // torch's fused AdamW kernel (run.fused_adamw)
  bool async_copies = true;  // pinned host buffers, non-blocking copies (CUDA only)
  bool cuda_graphs = false;  // training steps captured and replayed per batch shape (CUDA only)
  int64_t pad_to_multiple_of = 1;    // token batches padded to a multiple of this (run section)
  Packing packing = Packing::kAuto;  // which token batches are packed (run.packing)

  // Whether evaluations and the embedding stage use packed batches (auto and on).
  bool packs_evaluation() const { return packing != Packing::kOff; }
  // Whether training batches are packed (on).
  bool packs_training() const { return packing == Packing::kOn; }

  // `host` (a CPU tensor) on the device. With async_copies on CUDA the copy goes through pinned
  // memory without blocking the host (the pinned block is kept until the copy is done); on the
  // CPU `host` itself comes back.
  torch::Tensor to_device(const torch::Tensor& host) const;
};

}  // namespace bertgrid::train
