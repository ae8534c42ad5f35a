// Execution: moving host batches to the device.
#include "train/execution.h"

namespace bertgrid::train {

torch::Tensor Execution::to_device(const torch::Tensor& host) const {
  if (!device.is_cuda() || !async_copies) return host.to(device);
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace bertgrid::train
