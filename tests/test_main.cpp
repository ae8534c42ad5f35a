// GoogleTest main for bertgrid: initialises MPI once (single-process tests run as a singleton
// world; multi-rank tests launch mpirun themselves).
#include <gtest/gtest.h>

#include "dist/world.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  bertgrid::dist::World world(&argc, &argv);
  return RUN_ALL_TESTS();
}
