// The MPI backend of dist::Allreduce: MPI_Allreduce in place on host memory.
#include <limits>

#include "core/error.h"
#include "dist/allreduce.h"
#include "dist/mpi_check.h"

namespace bertgrid::dist {
namespace {

class MpiAllreduce final : public Allreduce {
 public:
  explicit MpiAllreduce(MPI_Comm comm) : comm_(comm) {}

  void sum(float* data, size_t count) override {
    // MPI counts are int: large buffers go in chunks.
    constexpr size_t kChunk = std::numeric_limits<int>::max() / 2;
    for (size_t done = 0; done < count; done += kChunk) {
      int n = static_cast<int>(std::min(kChunk, count - done));
      BERTGRID_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + done, n, MPI_FLOAT, MPI_SUM, comm_));
    }
  }
  std::string name() const override { return "mpi"; }

 private:
  MPI_Comm comm_;
};

}  // namespace

std::unique_ptr<Allreduce> make_mpi_allreduce(MPI_Comm comm) {
  return std::make_unique<MpiAllreduce>(comm);
}

}  // namespace bertgrid::dist
