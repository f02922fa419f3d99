# core/: tensors, the thread pool and every CpuBackend op against naive loops and finite
# differences.
slatetrain_add_test(NAME core_tests
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/core_tensor_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_linear_algebra_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_embedding_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_gru_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_slate_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_softmax_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_optimizer_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_top_k_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_determinism_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_staging_ring_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/core_openblas_kernels_test.cpp
  LIBRARIES slatetrain_core
  LABELS unit)
