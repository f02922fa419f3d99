# The per-rank streaming loader: batch decoding, user order, the loader over real shards,
# and the multi-rank checks under mpirun.
add_library(slatetrain_loader_test_data STATIC
  ${CMAKE_CURRENT_LIST_DIR}/loader_test_dataset.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loader_test_expect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loader_session_dataset.cpp)
target_link_libraries(slatetrain_loader_test_data PUBLIC slatetrain_shards GTest::gtest)

slatetrain_add_test(NAME loader_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/loader_batch_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/loader_user_order_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/loader_slate_loader_test.cpp
  LIBRARIES slatetrain_loader slatetrain_loader_test_data
  LABELS unit loader)

add_executable(loader_mpi_test ${CMAKE_CURRENT_LIST_DIR}/loader_mpi_test.cpp)
target_link_libraries(loader_mpi_test PRIVATE slatetrain_loader slatetrain_loader_test_data
                                              slatetrain_dist)
slatetrain_add_mpi_test(NAME loader_mpi_3 RANKS 3
  COMMAND $<TARGET_FILE:loader_mpi_test> ${CMAKE_CURRENT_BINARY_DIR}/loader_mpi_data
  LABELS loader)

# Session shards (no slates) under both protocols.
slatetrain_add_test(NAME loader_session_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/loader_sessions_test.cpp
  LIBRARIES slatetrain_loader slatetrain_loader_test_data
  LABELS unit loader sessions)

add_executable(loader_sessions_mpi_test ${CMAKE_CURRENT_LIST_DIR}/loader_sessions_mpi_test.cpp)
target_link_libraries(loader_sessions_mpi_test PRIVATE slatetrain_loader
                                                       slatetrain_loader_test_data slatetrain_dist)
slatetrain_add_mpi_test(NAME loader_sessions_mpi_3 RANKS 3
  COMMAND $<TARGET_FILE:loader_sessions_mpi_test> ${CMAKE_CURRENT_BINARY_DIR}/loader_sessions_mpi_data
  LABELS loader sessions)

# Shard integrity: damaged, foreign or missing shards and ids out of range are refused with the
# file named (slatetrain_shard_corruption: tests/convert_check_cli.cmake).
slatetrain_add_test(NAME shard_integrity_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/shard_integrity_test.cpp
  LIBRARIES slatetrain_loader slatetrain_loader_test_data slatetrain_shard_corruption
  LABELS unit loader integrity)
add_executable(shard_integrity_mpi_test ${CMAKE_CURRENT_LIST_DIR}/shard_integrity_mpi_test.cpp)
target_link_libraries(shard_integrity_mpi_test PRIVATE slatetrain_loader
                      slatetrain_loader_test_data slatetrain_shard_corruption slatetrain_dist)
slatetrain_add_mpi_test(NAME shard_integrity_mpi_3 RANKS 3
  COMMAND $<TARGET_FILE:shard_integrity_mpi_test>
          ${CMAKE_CURRENT_BINARY_DIR}/shard_integrity_mpi_data
  LABELS loader integrity)
# ... and through mpirun slatetrain: a flipped bit stops training before it starts.
if(TARGET slatetrain AND TARGET slateconvert)
  add_test(NAME shard_integrity_training
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/shard_integrity_training_test.sh
                   $<TARGET_FILE_DIR:slatetrain> $<TARGET_FILE:shard_flip_bit>
                   ${CMAKE_SOURCE_DIR}/configs/gru-small.yaml
                   ${CMAKE_CURRENT_BINARY_DIR}/shard_integrity_training)
  set_tests_properties(shard_integrity_training PROPERTIES
    LABELS "mpi;training;integrity" TIMEOUT 300 ENVIRONMENT "${SLATETRAIN_MPI_ENVIRONMENT}")
endif()
