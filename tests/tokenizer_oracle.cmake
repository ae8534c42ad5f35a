# The tokenizer oracle: HF's own tokenizer (npm `tokenizers` 0.23, Rust core) encodes every
# all_files sentence, a few thousand generated strings and every code point; the C++ tokenizer
# must agree on all. Three ctests chained by fixtures; label "oracle" (ctest -L oracle).
find_program(BERTGRID_NODE node)
find_program(BERTGRID_NPM npm)
if(NOT BERTGRID_NODE OR NOT BERTGRID_NPM)
  message(STATUS "bertgrid: node/npm not found, tokenizer oracle tests not registered")
  return()
endif()

set(_oracle_src ${CMAKE_CURRENT_SOURCE_DIR}/oracle)
set(_oracle_work ${CMAKE_CURRENT_BINARY_DIR}/oracle)
set(_oracle_out ${CMAKE_CURRENT_BINARY_DIR}/oracle/out)

add_test(NAME tokenizer_oracle_setup
  COMMAND sh ${_oracle_src}/setup.sh ${_oracle_src} ${_oracle_work})
set_tests_properties(tokenizer_oracle_setup PROPERTIES
  FIXTURES_SETUP tokenizer_oracle_npm LABELS "oracle;tokenizer" TIMEOUT 300)

add_test(NAME tokenizer_oracle_run
  COMMAND ${BERTGRID_NODE} ${_oracle_work}/oracle.js
    ${BERTGRID_SHARED_DIR}/data/bert-base-uncased-vocab/tokenizer.json
    ${BERTGRID_SHARED_DIR}/data/hate-speech-dataset/all_files ${_oracle_out}
  WORKING_DIRECTORY ${_oracle_work})
set_tests_properties(tokenizer_oracle_run PROPERTIES
  FIXTURES_REQUIRED tokenizer_oracle_npm FIXTURES_SETUP tokenizer_oracle_data
  LABELS "oracle;tokenizer" TIMEOUT 600)

add_test(NAME tokenizer_oracle_compare
  COMMAND bertgrid_tests --gtest_also_run_disabled_tests --gtest_filter=TokenizerOracle.*)
set_tests_properties(tokenizer_oracle_compare PROPERTIES
  FIXTURES_REQUIRED tokenizer_oracle_data
  ENVIRONMENT "BERTGRID_ORACLE_DIR=${_oracle_out}"
  LABELS "oracle;tokenizer" TIMEOUT 600)
