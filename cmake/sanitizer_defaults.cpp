// Sanitizer defaults, compiled into every executable of a BERTGRID_SANITIZE build (tests, CLI,
// benchmarks, fuzz targets) so they hold without environment variables: gtest's test discovery
// runs the test binary during the build, and ctest and mpirun pass no sanitizer options.
//
// Leaks. Every test process and the CLI call MPI_Init, and Open MPI keeps its global state (and
// that of its MCA plugins, hwloc, PMIx, libevent) until exit. Suppressions naming those libraries
// were tried and do not work: the libraries are built without frame pointers, so ASan's fast
// unwinder stops inside them and LeakSanitizer sees "<unknown module>" frames no suppression can
// match; DWARF unwinding (fast_unwind_on_malloc=0) does match them but made each test process take
// ~70 s instead of ~10 s (libtorch's static init allocates heavily). So leak detection is off in
// these MPI processes, and on in the fuzz targets, which never call MPI_Init and run every input
// parser with libFuzzer's per-input leak check.

extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}

#ifndef BERTGRID_FUZZ_TARGET
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0";
}
#endif
