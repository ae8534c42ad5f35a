#include "jobs/job_context.h"

#include <torch/torch.h>

#include "core/threads.h"

namespace bertgrid::jobs {

std::string JobContext::use_compute_threads(int threads) const {
  return set_compute_threads(threads);
}

void JobContext::seed_random(uint64_t seed) const {
  torch::manual_seed(seed);
}

}  // namespace bertgrid::jobs
