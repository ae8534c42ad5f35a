// set_compute_threads: OpenBLAS is found at run time (dlsym), as it sits behind libblas.so.3.
#include "core/threads.h"

#include <dlfcn.h>
#include <torch/utils.h>

#include <algorithm>

namespace bertgrid {
namespace {

using IntFn = int (*)();
using SetFn = void (*)(int);

template <typename Fn>
Fn find_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

// OpenBLAS's openblas_get_parallel(): 0 single-threaded build, 1 pthreads, 2 OpenMP.
bool openblas_has_own_pool() {
  const auto parallel = find_symbol<IntFn>("openblas_get_parallel");
  return parallel && find_symbol<SetFn>("openblas_set_num_threads") && parallel() == 1;
}

}  // namespace

int openblas_pthreads() {
  if (!openblas_has_own_pool()) return 0;
  const auto get = find_symbol<IntFn>("openblas_get_num_threads");
  return get ? get() : 0;
}

std::string set_compute_threads(int threads) {
  threads = std::max(1, threads);
  if (openblas_has_own_pool()) {
    find_symbol<SetFn>("openblas_set_num_threads")(threads);
    torch::set_num_threads(1);
    return std::to_string(threads) + " (OpenBLAS; element-wise ops on 1)";
  }
  torch::set_num_threads(threads);
  return std::to_string(threads);
}

}  // namespace bertgrid
