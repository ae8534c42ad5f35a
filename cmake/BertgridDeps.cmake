# Finds bertgrid's dependencies and gathers them behind one interface target, bertgrid::deps.
# Debian 12 packages (CI) or the GPU machine's libtorch 2.x; hints: CMAKE_PREFIX_PATH,
# BERTGRID_EXTRA_PREFIX (a folder with include/ and lib/ for TOML++ and utf8proc).

find_package(Torch REQUIRED)
find_package(MPI REQUIRED COMPONENTS C CXX)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(PkgConfig)

set(BERTGRID_EXTRA_PREFIX "" CACHE PATH "Extra prefix with include/ and lib/ (TOML++, utf8proc)")

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

find_path(UTF8PROC_INCLUDE_DIR utf8proc.h HINTS ${BERTGRID_EXTRA_PREFIX}/include REQUIRED)
find_library(UTF8PROC_LIBRARY NAMES utf8proc HINTS ${BERTGRID_EXTRA_PREFIX}/lib REQUIRED)

add_library(bertgrid_deps INTERFACE)
add_library(bertgrid::deps ALIAS bertgrid_deps)
target_include_directories(bertgrid_deps SYSTEM INTERFACE
  ${TORCH_INCLUDE_DIRS} ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS} ${UTF8PROC_INCLUDE_DIR})
target_compile_definitions(bertgrid_deps INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})
target_link_libraries(bertgrid_deps INTERFACE
  ${TORCH_LIBRARIES} MPI::MPI_CXX MPI::MPI_C ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES}
  nlohmann_json::nlohmann_json ${BERTGRID_TOML} ${UTF8PROC_LIBRARY})

if(BERTGRID_SANITIZE)
  target_compile_options(bertgrid_deps INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(bertgrid_deps INTERFACE -fsanitize=address,undefined)
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
message(STATUS "bertgrid: Torch ${Torch_VERSION}, MPI ${MPI_CXX_VERSION}, HDF5 ${HDF5_VERSION}, NCCL ${BERTGRID_NCCL_FOUND}")
