// Summing a flat float32 buffer across a group of ranks: one interface, two backends.
// MPI (host memory, CPU runs) and NCCL (device memory on the group's stream, GPU runs; built
// when CUDA and NCCL are found, using only the CUDA runtime and NCCL's C API). The backend is
// chosen once, at start-up, from the device; the training loop does not branch on it.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <string>

namespace bertgrid::dist {

class Allreduce {
 public:
  virtual ~Allreduce() = default;
  // Sums `count` floats at `data` in place over every rank of the group. Collective: every rank
  // of the group must call it with the same count.
  virtual void sum(float* data, size_t count) = 0;
  virtual std::string name() const = 0;
};

// Host buffers, MPI_Allreduce over `comm` (not owned; must outlive the backend).
std::unique_ptr<Allreduce> make_mpi_allreduce(MPI_Comm comm);

// Device buffers on `device`, enqueued on `cuda_stream` (a cudaStream_t; nullptr = default
// stream). Creates one NCCL communicator for `comm`, its unique id broadcast over MPI. Throws
// bertgrid::Error in a build without NCCL. NCCL refuses two ranks of one communicator on one
// GPU: the caller keeps groups of one when ranks share a device.
std::unique_ptr<Allreduce> make_nccl_allreduce(MPI_Comm comm, int device, void* cuda_stream);

bool nccl_available();

}  // namespace bertgrid::dist
