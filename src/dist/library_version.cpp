#include "dist/library_version.h"

#include <mpi.h>

#ifdef BERTGRID_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>
#endif

namespace bertgrid::dist {

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  const std::string full(text, static_cast<size_t>(length));
  return full.substr(0, full.find_first_of(",\n"));
}

std::string nccl_version() {
#ifdef BERTGRID_HAVE_NCCL
  int code = 0;
  ncclGetVersion(&code);
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." +
         std::to_string(code % 100);
#else
  return "none";
#endif
}

std::string cuda_runtime_version() {
#ifdef BERTGRID_HAVE_NCCL
  int code = 0;
  if (cudaRuntimeGetVersion(&code) != cudaSuccess) return "unknown";
  return std::to_string(code / 1000) + "." + std::to_string(code % 1000 / 10);
#else
  return "";
#endif
}

}  // namespace bertgrid::dist
