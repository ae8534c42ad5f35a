#include "core/versions.h"

#include <hdf5.h>
#include <mpi.h>
#include <torch/version.h>

#ifdef BERTGRID_HAVE_NCCL
#include <nccl.h>
#endif

namespace bertgrid {

Versions library_versions() {
  Versions v;
  v.bertgrid = "0.1.0";
  v.libtorch = TORCH_VERSION;
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(mpi, &len);
  std::string m(mpi, len);
  v.mpi = m.substr(0, m.find_first_of(",\n"));
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  v.hdf5 = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
#ifdef BERTGRID_HAVE_NCCL
  int nccl = 0;
  ncclGetVersion(&nccl);
  v.nccl = std::to_string(nccl / 10000) + "." + std::to_string(nccl / 100 % 100) + "." +
           std::to_string(nccl % 100);
#else
  v.nccl = "none";
#endif
  return v;
}

}  // namespace bertgrid
