# Finds bertgrid's dependencies and gathers them behind one interface target, bertgrid::deps.
# Debian 12 packages (CI) or the GPU machine's libtorch 2.x; hints: CMAKE_PREFIX_PATH,
# BERTGRID_EXTRA_PREFIX (a folder with include/ and lib/ for TOML++, CLI11 and utf8proc).

find_package(Torch REQUIRED)
find_package(MPI REQUIRED COMPONENTS C CXX)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(PkgConfig)

set(BERTGRID_EXTRA_PREFIX "" CACHE PATH "Extra prefix with include/ and lib/ (TOML++, CLI11, utf8proc)")

# TOML++ is header-only: a CMake package on Debian, a bare include folder elsewhere.
find_package(tomlplusplus 3 QUIET)
if(TARGET tomlplusplus::tomlplusplus)
  set(BERTGRID_TOML tomlplusplus::tomlplusplus)
else()
  find_path(TOMLPP_INCLUDE_DIR toml++/toml.h HINTS ${BERTGRID_EXTRA_PREFIX}/include REQUIRED)
  add_library(bertgrid_tomlpp INTERFACE)
  target_include_directories(bertgrid_tomlpp SYSTEM INTERFACE ${TOMLPP_INCLUDE_DIR})
  set(BERTGRID_TOML bertgrid_tomlpp)
endif()

# CLI11 (the command line; only src/cli includes it) is header-only too: Debian's libcli11-dev
# ships a CMake config; elsewhere a bare include folder. Not part of bertgrid::deps.
find_package(CLI11 CONFIG QUIET)
if(TARGET CLI11::CLI11)
  set(BERTGRID_CLI11 CLI11::CLI11)
else()
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp HINTS ${BERTGRID_EXTRA_PREFIX}/include REQUIRED)
  add_library(bertgrid_cli11 INTERFACE)
  target_include_directories(bertgrid_cli11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})
  set(BERTGRID_CLI11 bertgrid_cli11)
endif()

find_path(UTF8PROC_INCLUDE_DIR utf8proc.h HINTS ${BERTGRID_EXTRA_PREFIX}/include REQUIRED)
find_library(UTF8PROC_LIBRARY NAMES utf8proc HINTS ${BERTGRID_EXTRA_PREFIX}/lib REQUIRED)

add_library(bertgrid_deps INTERFACE)
add_library(bertgrid::deps ALIAS bertgrid_deps)
target_include_directories(bertgrid_deps SYSTEM INTERFACE
  ${TORCH_INCLUDE_DIRS} ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS} ${UTF8PROC_INCLUDE_DIR})
target_compile_definitions(bertgrid_deps INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})
target_link_libraries(bertgrid_deps INTERFACE
  ${TORCH_LIBRARIES} MPI::MPI_CXX MPI::MPI_C ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES}
  nlohmann_json::nlohmann_json ${BERTGRID_TOML} ${UTF8PROC_LIBRARY} ${CMAKE_DL_LIBS})

# Sanitizers (make sanitize, make fuzz): ASan + UBSan with UB fatal, so a ctest fails on it.
# Debian's libtorch, MPI and HDF5 are not instrumented; ASan still checks every access our code
# makes. cmake/sanitizer_defaults.cpp, linked into every executable, sets the runtime options
# (leak detection off in MPI processes, on in the fuzz targets: see that file for why).
if(BERTGRID_SANITIZE)
  target_compile_options(bertgrid_deps INTERFACE -fsanitize=address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  target_link_options(bertgrid_deps INTERFACE -fsanitize=address,undefined)
  target_sources(bertgrid_deps INTERFACE ${CMAKE_CURRENT_LIST_DIR}/sanitizer_defaults.cpp)
endif()
# libFuzzer: the library is instrumented for coverage feedback (fuzzer-no-link); only the fuzz
# targets link libFuzzer's main (fuzz/CMakeLists.txt). Needs clang.
if(BERTGRID_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "BERTGRID_FUZZ needs clang (libFuzzer): configure with CXX=clang++-14")
  endif()
  target_compile_options(bertgrid_deps INTERFACE -fsanitize=fuzzer-no-link)
endif()
# Source coverage (scripts/fuzz.sh reports the parsers' line coverage over the fuzz corpus).
if(BERTGRID_COVERAGE)
  target_compile_options(bertgrid_deps INTERFACE -fprofile-instr-generate -fcoverage-mapping)
  target_link_options(bertgrid_deps INTERFACE -fprofile-instr-generate)
endif()

# CUDA + NCCL: optional. The NCCL backend uses only the CUDA runtime and NCCL's C API.
set(BERTGRID_NCCL_FOUND OFF)
if(BERTGRID_WITH_NCCL)
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include)
    find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu)
    if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
      set(BERTGRID_NCCL_FOUND ON)
      target_include_directories(bertgrid_deps SYSTEM INTERFACE ${NCCL_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
      target_link_libraries(bertgrid_deps INTERFACE ${NCCL_LIBRARY} CUDA::cudart)
    endif()
  endif()
endif()
# CUDA graphs of the training step (run.cuda_graphs) use libtorch's own CUDA API
# (at::cuda::CUDAGraph, c10 streams): only with a libtorch built with CUDA (its config finds
# c10_cuda). Debian's libtorch is CPU-only: the switch then reports that it is unavailable.
set(BERTGRID_TORCH_CUDA OFF)
if(BERTGRID_CUDA_GRAPHS AND C10_CUDA_LIBRARY)
  find_package(CUDAToolkit QUIET)
  find_library(TORCH_CUDA_LIBRARY torch_cuda PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
  if(CUDAToolkit_FOUND AND TORCH_CUDA_LIBRARY)
    set(BERTGRID_TORCH_CUDA ON)
    target_include_directories(bertgrid_deps SYSTEM INTERFACE ${CUDAToolkit_INCLUDE_DIRS})
    target_link_libraries(bertgrid_deps INTERFACE ${TORCH_CUDA_LIBRARY} ${C10_CUDA_LIBRARY}
      CUDA::cudart)
  endif()
endif()
message(STATUS "bertgrid: Torch ${Torch_VERSION}, MPI ${MPI_CXX_VERSION}, HDF5 ${HDF5_VERSION}, "
  "NCCL ${BERTGRID_NCCL_FOUND}, CUDA graphs ${BERTGRID_TORCH_CUDA}")
