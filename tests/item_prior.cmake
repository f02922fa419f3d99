# The item prior through real mpirun runs of slatetrain (tests/training_item_prior.py), on the
# tiny dataset of tests/training.cmake's `data` case.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(case lazy-equals-dense resume-bitwise sgd-resume-bitwise group-state)
  add_test(NAME training_item_prior_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/training_item_prior.py ${case}
                   --bin $<TARGET_FILE_DIR:slatetrain> --work ${CMAKE_BINARY_DIR}/training-tests)
  set_tests_properties(training_item_prior_${case} PROPERTIES LABELS "mpi;training" TIMEOUT 600
                       FIXTURES_REQUIRED training_data)
endforeach()

# The plain SGD row optimizer (optimizer.embedding.kind: sgd).
slatetrain_add_test(NAME optimizer_sparse_sgd_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/optimizer_sparse_sgd_test.cpp
  LIBRARIES slatetrain_optimizers
  LABELS unit)
