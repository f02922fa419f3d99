# End-to-end training through real mpirun runs of the built slatetrain (tests/training_end_to_end.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)

add_executable(checkpoint_compare ${CMAKE_CURRENT_SOURCE_DIR}/checkpoint_compare.cpp)
target_link_libraries(checkpoint_compare PRIVATE slatetrain_checkpoint)
set_target_properties(checkpoint_compare PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})

set(training_work ${CMAKE_BINARY_DIR}/training-tests)
foreach(case data equivalence-2 equivalence-4 epochs resume-bitwise resume-other-world signal
             corrupt-checkpoint bad-config rank-dies learning sparse-catalogue gpu-vs-cpu)
  add_test(NAME training_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/training_end_to_end.py ${case}
                   --bin $<TARGET_FILE_DIR:slatetrain> --work ${training_work})
  set_tests_properties(training_${case} PROPERTIES LABELS "mpi;training" TIMEOUT 600)
  if(case STREQUAL "gpu-vs-cpu")
    set_tests_properties(training_${case} PROPERTIES LABELS "gpu;training" SKIP_RETURN_CODE 77)
  endif()
  if(case STREQUAL "data")
    set_tests_properties(training_${case} PROPERTIES FIXTURES_SETUP training_data)
  else()
    set_tests_properties(training_${case} PROPERTIES FIXTURES_REQUIRED training_data)
  endif()
endforeach()
# The driver runs checkpoint_compare from build/tests.
