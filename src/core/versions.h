// bertgrid's own version and the libtorch it was built with. Each floor reports the libraries it
// wraps (dist/library_version.h: MPI, NCCL; io/library_version.h: HDF5); grid/versions.h
// assembles them for --version and the manifest.
#pragma once

#include <string>

namespace bertgrid {

std::string bertgrid_version();  // CMake's project(VERSION)
std::string bertgrid_commit();   // the git commit at configure time, or "unknown"
std::string libtorch_version();  // the headers built against (TORCH_VERSION)

}  // namespace bertgrid
