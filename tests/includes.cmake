# The floors of src/ (core < text, io, dist < model < train < jobs < grid < cli), checked on every
# include of the sources, tests, benchmarks and fuzz targets; and the checker itself, on a tree
# with one planted violation of each kind.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME include_floors
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_includes.py ${PROJECT_SOURCE_DIR})
add_test(NAME include_floors_self_test
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/check_includes.py --self-test)
