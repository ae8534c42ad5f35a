// BERTGRID_MPI_CHECK: every MPI call is checked; a failure throws bertgrid::Error naming the
// call, file, line and host.
#pragma once

#include <mpi.h>

#include <string>

namespace bertgrid::dist {

[[noreturn]] void throw_mpi_error(int code, const char* call, const char* file, int line);

}  // namespace bertgrid::dist

#define BERTGRID_MPI_CHECK(call)                                                      \
  do {                                                                                \
    int bertgrid_mpi_rc_ = (call);                                                    \
    if (bertgrid_mpi_rc_ != MPI_SUCCESS)                                              \
      ::bertgrid::dist::throw_mpi_error(bertgrid_mpi_rc_, #call, __FILE__, __LINE__); \
  } while (0)
