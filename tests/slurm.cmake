# SLURM: a real one-node cluster (launch/slurm/local-cluster.sh), the batch scripts submitted to it.
# Run on their own with `ctest -L slurm`. Exit 77 = skipped, only where SLURM cannot run here
# (not root, packages missing); the reason is printed. A resource lock keeps the two clusters
# from competing for the two CI cores.
add_test(NAME slurm_local_cluster
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm_cluster_test.sh)
set_tests_properties(slurm_local_cluster PROPERTIES
  LABELS slurm TIMEOUT 120 SKIP_RETURN_CODE 77 RESOURCE_LOCK slurm_cluster)

# The real train.sbatch and convert.sbatch with the real programs on generated data: a job to
# the end, then a job preempted mid-run (USR1), requeued, resumed and finished.
if(TARGET slatetrain AND TARGET slateconvert)
  add_test(NAME slurm_train_preempt_requeue
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/slurm_train_test.py
                   $<TARGET_FILE_DIR:slatetrain> $<TARGET_FILE_DIR:slateconvert>)
  set_tests_properties(slurm_train_preempt_requeue PROPERTIES
    LABELS slurm TIMEOUT 300 SKIP_RETURN_CODE 77 RESOURCE_LOCK slurm_cluster
    ENVIRONMENT "${SLATETRAIN_MPI_ENVIRONMENT}")
endif()
