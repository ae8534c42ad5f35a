# The Slurm scripts (slurm/*.sbatch) on a real one-node Slurm that the test starts itself
# (installing slurm-wlm and munge from Debian when missing): a grid job, a preemption with
# checkpoint, requeue and resume, and the embed -> array -> merge chain; once with srun --mpi=pmix
# (the scripts' default), once with mpirun. Label "slurm"
# (ctest -L slurm); not "slow", so `make test` runs it. Needs root for apt-get and the daemons.
add_test(NAME slurm_scripts
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm/run_tests.sh $<TARGET_FILE:bertgrid>
          ${PROJECT_SOURCE_DIR} ${BERTGRID_SHARED_DIR})
set_tests_properties(slurm_scripts PROPERTIES
  LABELS "slurm" TIMEOUT 600 RUN_SERIAL TRUE SKIP_RETURN_CODE 77
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;BERTGRID_LAUNCHER=srun")

# The same with Open MPI's mpirun inside the allocation (BERTGRID_LAUNCHER=mpirun) instead of
# srun --mpi=pmix.
add_test(NAME slurm_scripts_mpirun
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm/run_tests.sh $<TARGET_FILE:bertgrid>
          ${PROJECT_SOURCE_DIR} ${BERTGRID_SHARED_DIR})
set_tests_properties(slurm_scripts_mpirun PROPERTIES
  LABELS "slurm" TIMEOUT 600 RUN_SERIAL TRUE SKIP_RETURN_CODE 77
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;BERTGRID_LAUNCHER=mpirun")
