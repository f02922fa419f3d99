# dist/: communicator, launch environment, sharded embedding, buckets, top-k merge.
slatetrain_add_test(NAME dist_unit_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist_launch_environment_test.cpp
  LIBRARIES slatetrain_dist
  LABELS unit dist)

# slatetrain_add_dist_mpi_test(NAME name SOURCES ... LIBRARIES ...): a GoogleTest program
# with the MPI main, run at 2, 3 and 4 ranks (3: an odd world, uneven shards).
function(slatetrain_add_dist_mpi_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES} ${CMAKE_CURRENT_SOURCE_DIR}/dist_gtest_main_mpi.cpp)
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBRARIES} slatetrain_dist GTest::gtest)
  foreach(ranks 2 3 4)
    slatetrain_add_mpi_test(NAME ${ARG_NAME}_np${ranks} RANKS ${ranks}
      COMMAND $<TARGET_FILE:${ARG_NAME}> LABELS dist TIMEOUT 60)
  endforeach()
endfunction()

slatetrain_add_dist_mpi_test(NAME dist_communicator_mpi
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist_communicator_mpi.cpp)

# models/optimizer*, learning_rate_schedule, gradient_clipping.
slatetrain_add_test(NAME optimizer_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/optimizer_dense_adam_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/optimizer_sparse_rows_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/optimizer_schedule_clipping_test.cpp
  LIBRARIES slatetrain_optimizers
  LABELS unit)

slatetrain_add_dist_mpi_test(NAME dist_sharded_embedding_mpi
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist_sharded_embedding_mpi.cpp)

slatetrain_add_dist_mpi_test(NAME dist_buckets_topk_mpi
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist_buckets_topk_mpi.cpp)

# The full softmax over the sharded catalogue against a single-process reference; also at one
# rank, where the finite-difference check runs.
slatetrain_add_dist_mpi_test(NAME dist_full_softmax_mpi
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist_full_softmax_mpi.cpp
  LIBRARIES slatetrain_models)
slatetrain_add_mpi_test(NAME dist_full_softmax_mpi_np1 RANKS 1
  COMMAND $<TARGET_FILE:dist_full_softmax_mpi> LABELS dist TIMEOUT 60)

# The item prior (dist/item_prior.hpp): its loss against finite differences and PyTorch; the
# lazy sharded form against a dense reference at 1 to 4 ranks (docs/ITEM_PRIOR.md).
slatetrain_add_test(NAME item_prior_loss_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/item_prior_loss_test.cpp
  LIBRARIES slatetrain_dist
  LABELS unit dist)
slatetrain_add_dist_mpi_test(NAME dist_item_prior_mpi
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist_item_prior_mpi.cpp)
slatetrain_add_mpi_test(NAME dist_item_prior_mpi_np1 RANKS 1
  COMMAND $<TARGET_FILE:dist_item_prior_mpi> LABELS dist TIMEOUT 60)
target_compile_definitions(dist_item_prior_mpi PRIVATE
  SLATETRAIN_TEST_DATA="${SLATETRAIN_TEST_DATA}")
