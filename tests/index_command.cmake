# `slatetrain index` on checkpoints of a real mpirun training run (tests/index_command_test.py),
# checked by tests/item_index_check.cpp against exact top-k from the checkpoint's rows.
find_package(Python3 REQUIRED COMPONENTS Interpreter)

add_executable(item_index_check ${CMAKE_CURRENT_SOURCE_DIR}/item_index_check.cpp)
set_target_properties(item_index_check PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(item_index_check PRIVATE slatetrain_item_index slatetrain_checkpoint)

set(index_command_work ${CMAKE_BINARY_DIR}/index-command-tests)
foreach(case data flat approximate recommend refusals)
  add_test(NAME index_command_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/index_command_test.py
                   ${case} --bin $<TARGET_FILE_DIR:slatetrain> --check $<TARGET_FILE:item_index_check>
                   --work ${index_command_work})
  set_tests_properties(index_command_${case} PROPERTIES LABELS "mpi;index" TIMEOUT 600)
  if(case STREQUAL "data")
    set_tests_properties(index_command_${case} PROPERTIES FIXTURES_SETUP index_command_data)
  else()
    set_tests_properties(index_command_${case} PROPERTIES FIXTURES_REQUIRED index_command_data)
  endif()
endforeach()
