# A failed multi-rank run prints its error once (tests/failure_report_test.py, real mpirun).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
if(TARGET slatetrain AND TARGET slateconvert)
  foreach(case every-rank one-rank)
    add_test(NAME failure_report_${case}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/failure_report_test.py ${case}
                     --bin $<TARGET_FILE_DIR:slatetrain> --work ${CMAKE_BINARY_DIR}/failure-report-tests
                     --flip-bit $<TARGET_FILE:shard_flip_bit>)
    set_tests_properties(failure_report_${case} PROPERTIES LABELS "mpi;training" TIMEOUT 300)
  endforeach()
endif()

# SIGTERM to launch/mpirun-preemptible.sh (and to its process group) checkpoints and exits 0.
if(TARGET slatetrain AND TARGET slateconvert)
  add_test(NAME preemption_launcher
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/preemption_launcher_test.py
                   --bin $<TARGET_FILE_DIR:slatetrain> --work ${CMAKE_BINARY_DIR}/preemption-launcher-tests)
  set_tests_properties(preemption_launcher PROPERTIES LABELS "mpi;training" TIMEOUT 300)
endif()
