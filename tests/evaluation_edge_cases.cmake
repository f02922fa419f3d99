# Evaluation of empty splits and the evaluation.max_users cap through real mpirun runs of the
# built slatetrain (tests/evaluation_edge_cases.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(evaluation_edge_work ${CMAKE_BINARY_DIR}/evaluation-edge-tests)
foreach(case data empty-valid empty-test max-users-1 max-users-2)
  add_test(NAME evaluation_edge_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/evaluation_edge_cases.py
                   ${case} --bin $<TARGET_FILE_DIR:slatetrain> --work ${evaluation_edge_work})
  set_tests_properties(evaluation_edge_${case} PROPERTIES LABELS "mpi;training" TIMEOUT 600)
  if(case STREQUAL "data")
    set_tests_properties(evaluation_edge_${case} PROPERTIES FIXTURES_SETUP evaluation_edge_data)
  else()
    set_tests_properties(evaluation_edge_${case} PROPERTIES FIXTURES_REQUIRED evaluation_edge_data)
  endif()
endforeach()
