// core/threads: the compute threads go to OpenBLAS's own pool where there is one, else to
// libtorch's pool.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/threads.h"

TEST(Threads, OneOfThePoolsGetsThemAll) {
  const int before = torch::get_num_threads();
  const int blas_before = bertgrid::openblas_pthreads();
  const std::string what = bertgrid::set_compute_threads(2);
  if (bertgrid::openblas_pthreads() > 0) {
    EXPECT_EQ(bertgrid::openblas_pthreads(), 2);
    EXPECT_EQ(torch::get_num_threads(), 1);
    EXPECT_EQ(what, "2 (OpenBLAS; element-wise ops on 1)");
  } else {
    EXPECT_EQ(torch::get_num_threads(), 2);
    EXPECT_EQ(what, "2");
  }
  bertgrid::set_compute_threads(0);  // at least one
  EXPECT_GE(torch::get_num_threads(), 1);
  if (blas_before > 0) bertgrid::set_compute_threads(blas_before);
  torch::set_num_threads(before);
}
