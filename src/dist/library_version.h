// The versions of the communication libraries this build runs on.
#pragma once

#include <string>

namespace bertgrid::dist {

std::string mpi_library_version();   // the MPI library's own version string, first line
std::string nccl_version();          // "none" in a build without NCCL
std::string cuda_runtime_version();  // "" in a build without CUDA (NCCL builds link it)

}  // namespace bertgrid::dist
