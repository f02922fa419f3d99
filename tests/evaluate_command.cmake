# `slatetrain evaluate` on checkpoints of real mpirun training runs
# (tests/evaluate_command_test.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(evaluate_command_work ${CMAKE_BINARY_DIR}/evaluate-command-tests)
foreach(case data gru transformer refusals read-only)
  add_test(NAME evaluate_command_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/evaluate_command_test.py
                   ${case} --bin $<TARGET_FILE_DIR:slatetrain> --work ${evaluate_command_work})
  set_tests_properties(evaluate_command_${case} PROPERTIES LABELS "mpi;training" TIMEOUT 600)
  if(case STREQUAL "data")
    set_tests_properties(evaluate_command_${case} PROPERTIES FIXTURES_SETUP evaluate_command_data)
  else()
    set_tests_properties(evaluate_command_${case} PROPERTIES FIXTURES_REQUIRED
                                                             evaluate_command_data)
  endif()
endforeach()
