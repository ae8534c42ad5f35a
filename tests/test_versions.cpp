#include <gtest/gtest.h>
#include <torch/version.h>

#include "grid/versions.h"

TEST(Versions, ReportsLinkedLibraries) {
  auto v = bertgrid::grid::library_versions();
  EXPECT_EQ(v.libtorch, TORCH_VERSION);
  EXPECT_NE(v.mpi.find("MPI"), std::string::npos) << v.mpi;
  EXPECT_EQ(v.hdf5.rfind("1.", 0), 0u) << v.hdf5;
}
