# `slatetrain recommend` and `slatetrain export` on checkpoints of real mpirun training runs
# (tests/recommend_command_test.py). Debian's interpreter: the export comparisons use NumPy
# (launch/export_reference.py).
set(recommend_command_work ${CMAKE_BINARY_DIR}/recommend-command-tests)
foreach(case data gru transformer sessions refusals)
  add_test(NAME recommend_command_${case}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/recommend_command_test.py
                   ${case} --bin $<TARGET_FILE_DIR:slatetrain> --work ${recommend_command_work})
  set_tests_properties(recommend_command_${case} PROPERTIES LABELS "mpi;training" TIMEOUT 600)
  if(case STREQUAL "data")
    set_tests_properties(recommend_command_${case} PROPERTIES FIXTURES_SETUP recommend_command_data)
  else()
    set_tests_properties(recommend_command_${case} PROPERTIES FIXTURES_REQUIRED
                                                              recommend_command_data)
  endif()
endforeach()
