// Sanitizer defaults, compiled into every executable of a BERTGRID_SANITIZE build (tests, CLI,
// benchmarks, fuzz targets) so they hold without environment variables: gtest's test discovery
// runs the test binary during the build, and ctest and mpirun pass no sanitizer options.
//
// LeakSanitizer: the entries name uninstrumented system libraries that keep one-time global
// allocations until exit (Open MPI's MPI_Init state and its MCA plugins, hwloc, PMIx, HDF5's
// library globals). They are suppressed rather than turning leak detection off, so a leak whose
// stack has no such library, i.e. bertgrid's own code, still fails the test or fuzz target.

extern "C" const char* __lsan_default_suppressions() {
  return "leak:libmpi.so\n"
         "leak:libopen-pal.so\n"
         "leak:libopen-rte.so\n"
         "leak:/openmpi/lib/openmpi3/\n"  // the MCA plugins (mca_*.so)
         "leak:libhwloc.so\n"
         "leak:libpmix.so\n"
         "leak:libevent\n";
}

extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}

// Open MPI, hwloc and libevent are built without frame pointers, so the fast unwinder stops in
// them and their leaks show as "<unknown module>", which no suppression can match: unwind
// allocations with DWARF instead (slower mallocs). The fuzz targets never call MPI_Init, so they
// keep the fast unwinder and their speed.
#ifndef BERTGRID_FUZZ_TARGET
extern "C" const char* __asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
#endif
