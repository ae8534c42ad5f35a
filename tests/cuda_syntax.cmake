# The CUDA half of src/train/step_graphs.cpp (run.cuda_graphs) compiles only against a libtorch
# built with CUDA, which CI does not have. Where the CUDA toolkit's headers and libtorch's
# ATen/cuda headers are both present (Debian's CPU libtorch ships the latter), this test
# compiles that half to an object (nothing is linked or run), so a wrong call is found here and
# not on a GPU machine. Absent either, there is no test.
if(NOT BERTGRID_TORCH_CUDA)
  find_package(CUDAToolkit QUIET)
  find_file(BERTGRID_CUDAGRAPH_HEADER ATen/cuda/CUDAGraph.h PATHS ${TORCH_INCLUDE_DIRS}
            NO_DEFAULT_PATH)
  if(CUDAToolkit_FOUND AND BERTGRID_CUDAGRAPH_HEADER)
    add_library(bertgrid_cuda_graphs_compile OBJECT EXCLUDE_FROM_ALL
                ${PROJECT_SOURCE_DIR}/src/train/step_graphs.cpp)
    target_include_directories(bertgrid_cuda_graphs_compile PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_include_directories(bertgrid_cuda_graphs_compile SYSTEM PRIVATE
                               ${TORCH_INCLUDE_DIRS} ${CUDAToolkit_INCLUDE_DIRS})
    # C10_CUDA_NO_CMAKE_CONFIGURE_FILE: a CPU libtorch lacks c10/cuda's generated macro header.
    target_compile_definitions(bertgrid_cuda_graphs_compile PRIVATE BERTGRID_TORCH_CUDA=1
                               C10_CUDA_NO_CMAKE_CONFIGURE_FILE)
    target_compile_options(bertgrid_cuda_graphs_compile PRIVATE -Wall -Wextra -Werror
                           ${TORCH_CXX_FLAGS})
    add_test(NAME step_graphs_cuda_compiles
             COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR}
                     --target bertgrid_cuda_graphs_compile)
    set_tests_properties(step_graphs_cuda_compiles PROPERTIES TIMEOUT 300)
  endif()
endif()
