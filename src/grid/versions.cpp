#include "grid/versions.h"

#include "core/versions.h"
#include "dist/library_version.h"
#include "io/library_version.h"

namespace bertgrid::grid {

Versions library_versions() {
  return {bertgrid_version(), libtorch_version(), dist::mpi_library_version(), io::hdf5_version(),
          dist::nccl_version()};
}

}  // namespace bertgrid::grid
