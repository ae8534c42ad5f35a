// Versions of the libraries bertgrid was built with and runs on, for --version and manifests.
#pragma once

#include <string>

namespace bertgrid {

struct Versions {
  std::string bertgrid;
  std::string libtorch;
  std::string mpi;   // the MPI library's own version string, first line
  std::string hdf5;  // the version linked at run time
  std::string nccl;  // "none" in a build without NCCL
};

Versions library_versions();

}  // namespace bertgrid
