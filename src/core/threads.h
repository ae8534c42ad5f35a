// How a process spends its CPU threads. libtorch runs element-wise ops on its OpenMP pool and
// matrix products in the BLAS; Debian's OpenBLAS (the pthreads build) keeps a pool of its own,
// and two pools of N spinning threads on N cores slow training 1.5-3x (measured on 2 cores). With
// that BLAS, the N threads go to the BLAS and torch's pool gets one; otherwise (MKL, OpenMP
// OpenBLAS, or the reference BLAS) torch's pool gets N, which the BLAS shares.
#pragma once

#include <string>

namespace bertgrid {

// Gives the process `threads` (>= 1) compute threads as described above; returns a short
// description for logs, e.g. "2 (OpenBLAS; element-wise ops on 1)".
std::string set_compute_threads(int threads);

// The thread count of OpenBLAS's own pool, or 0 when the BLAS is not OpenBLAS with pthreads.
int openblas_pthreads();

}  // namespace bertgrid
