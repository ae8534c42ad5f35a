# Chaos: the tiny grid killed, stopped, starved of disk, run twice at once, forced beside the
# user's files, resumed on other data and on damaged files (tests/chaos/run.sh); each scenario
# that allows a resume ends with an uninterrupted run's results. About 20 runs at 2 ranks, under a
# minute on 2 cores: label "chaos" (not "slow", so `make test` runs it).
add_test(NAME chaos
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/chaos/run.sh $<TARGET_FILE:bertgrid>
          ${PROJECT_SOURCE_DIR} ${BERTGRID_SHARED_DIR})
set_tests_properties(chaos PROPERTIES LABELS "chaos" TIMEOUT 900 PROCESSORS 2 RUN_SERIAL TRUE)
