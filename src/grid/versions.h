// Versions of bertgrid and of the libraries it was built with and runs on, assembled from each
// floor's own report: one source for the manifest and --version.
#pragma once

#include <string>

namespace bertgrid::grid {

struct Versions {
  std::string bertgrid;
  std::string libtorch;
  std::string mpi;   // the MPI library's own version string, first line
  std::string hdf5;  // the version linked at run time
  std::string nccl;  // "none" in a build without NCCL
};

Versions library_versions();

}  // namespace bertgrid::grid
