# GPU tests (label `gpu`): every CudaBackend op against CpuBackend, the memory pool, and the
# NCCL communicator under mpirun. They build wherever the CUDA backend builds and skip
# themselves (reported as skipped by CTest) on machines without a GPU.
if(SLATETRAIN_CUDA)
  slatetrain_add_test(NAME cuda_backend_tests
    SOURCES
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_dense_test.cpp
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_embedding_test.cpp
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_gru_test.cpp
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_slate_test.cpp
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_softmax_test.cpp
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_optimizer_test.cpp
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_top_k_test.cpp
      ${CMAKE_CURRENT_SOURCE_DIR}/cuda_memory_test.cpp
    LIBRARIES slatetrain_cuda_backend slatetrain_core
    LABELS gpu)

  # NCCL under a real mpirun, with the MPI GoogleTest main of the dist tests. Two ranks need
  # two GPUs (NCCL refuses two ranks on one device); with fewer the test skips itself.
  add_executable(cuda_nccl_communicator_test
    ${CMAKE_CURRENT_SOURCE_DIR}/cuda_nccl_communicator_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/dist_gtest_main_mpi.cpp)
  target_link_libraries(cuda_nccl_communicator_test PRIVATE slatetrain_nccl slatetrain_dist
                                                            GTest::gtest)
  foreach(ranks 1 2)
    slatetrain_add_mpi_test(NAME cuda_nccl_communicator_np${ranks} RANKS ${ranks}
      COMMAND $<TARGET_FILE:cuda_nccl_communicator_test> LABELS gpu TIMEOUT 120)
    set_tests_properties(cuda_nccl_communicator_np${ranks} PROPERTIES
      SKIP_REGULAR_EXPRESSION "NCCL test skipped, not passed")
  endforeach()
endif()
