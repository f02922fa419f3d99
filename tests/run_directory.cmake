# The run directory's ownership, lock, best checkpoint, disk-full and resume checks through real
# mpirun runs (tests/training_run_directory.py; docs/RUN_DIRECTORY.md). The tiny dataset is the
# training_data fixture's (tests/training.cmake).
find_package(Python3 REQUIRED COMPONENTS Interpreter)

add_executable(checkpoint_header ${CMAKE_CURRENT_SOURCE_DIR}/checkpoint_header.cpp)
target_link_libraries(checkpoint_header PRIVATE slatetrain_checkpoint nlohmann_json::nlohmann_json)
set_target_properties(checkpoint_header PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})

foreach(case foreign-checkpoints rotation-own-only concurrent best disk-full other-dataset
             header-mismatch other-world-epochs)
  add_test(NAME training_rundir_${case}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/training_run_directory.py
                   ${case} --bin $<TARGET_FILE_DIR:slatetrain> --work ${CMAKE_BINARY_DIR}/training-tests
                   --tools ${CMAKE_CURRENT_BINARY_DIR})
  # disk-full mounts a tmpfs (root); it skips with 77 where that is refused.
  set_tests_properties(training_rundir_${case} PROPERTIES LABELS "mpi;training" TIMEOUT 600
                       FIXTURES_REQUIRED training_data SKIP_RETURN_CODE 77)
endforeach()

slatetrain_add_test(NAME run_directory_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/run_directory_test.cpp
  LIBRARIES slatetrain_trainer
  LABELS unit)
