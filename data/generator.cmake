# slatetrain_generator: the FINN-format generator with its planted ground truth (slateconvert
# synth) and the true model's held-out scores (truth.json).
add_library(slatetrain_generator STATIC
  ${CMAKE_CURRENT_LIST_DIR}/generator_world.cpp
  ${CMAKE_CURRENT_LIST_DIR}/generator_step.cpp
  ${CMAKE_CURRENT_LIST_DIR}/generator_user.cpp
  ${CMAKE_CURRENT_LIST_DIR}/truth_evaluation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/oracle_rollouts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/oracle_evaluation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/generator.cpp
)
target_include_directories(slatetrain_generator PRIVATE ${CBLAS_INCLUDE_DIR})
target_link_libraries(slatetrain_generator PUBLIC slatetrain_output slatetrain_npz slatetrain_split slatetrain_core
  nlohmann_json::nlohmann_json BLAS::BLAS Threads::Threads)
