// The NCCL backend of dist::Allreduce: raw device pointers and a cudaStream_t, no libtorch CUDA.
#include "core/error.h"
#include "dist/allreduce.h"
#include "dist/mpi_check.h"

#ifdef BERTGRID_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#include <unistd.h>

#define BERTGRID_CUDA_CHECK(call)                                             \
  do {                                                                        \
    cudaError_t bertgrid_cuda_rc_ = (call);                                   \
    if (bertgrid_cuda_rc_ != cudaSuccess)                                     \
      fail(#call, __FILE__, __LINE__, cudaGetErrorString(bertgrid_cuda_rc_)); \
  } while (0)

#define BERTGRID_NCCL_CHECK(call)                                             \
  do {                                                                        \
    ncclResult_t bertgrid_nccl_rc_ = (call);                                  \
    if (bertgrid_nccl_rc_ != ncclSuccess)                                     \
      fail(#call, __FILE__, __LINE__, ncclGetErrorString(bertgrid_nccl_rc_)); \
  } while (0)
#endif

namespace bertgrid::dist {

#ifdef BERTGRID_HAVE_NCCL
namespace {

[[noreturn]] void fail(const char* call, const char* file, int line, const char* what) {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  throw Error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + " on " +
              host + ": " + what);
}

class NcclAllreduce final : public Allreduce {
 public:
  NcclAllreduce(MPI_Comm comm, int device, void* stream)
      : stream_(static_cast<cudaStream_t>(stream)) {
    int rank = 0, size = 1;
    BERTGRID_MPI_CHECK(MPI_Comm_rank(comm, &rank));
    BERTGRID_MPI_CHECK(MPI_Comm_size(comm, &size));
    BERTGRID_CUDA_CHECK(cudaSetDevice(device));
    ncclUniqueId id;
    if (rank == 0) BERTGRID_NCCL_CHECK(ncclGetUniqueId(&id));
    BERTGRID_MPI_CHECK(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, comm));
    BERTGRID_NCCL_CHECK(ncclCommInitRank(&comm_, size, id, rank));
  }
  ~NcclAllreduce() override {
    if (comm_) ncclCommDestroy(comm_);
  }

  void sum(float* data, size_t count) override {
    BERTGRID_NCCL_CHECK(ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, stream_));
  }
  std::string name() const override { return "nccl"; }

 private:
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace

std::unique_ptr<Allreduce> make_nccl_allreduce(MPI_Comm comm, int device, void* cuda_stream) {
  return std::make_unique<NcclAllreduce>(comm, device, cuda_stream);
}

bool nccl_available() {
  return true;
}

#else

std::unique_ptr<Allreduce> make_nccl_allreduce(MPI_Comm, int, void*) {
  throw Error("this bertgrid was built without NCCL (no CUDA toolkit with NCCL was found)");
}

bool nccl_available() {
  return false;
}

#endif

}  // namespace bertgrid::dist
