# slatetrain_optimizers: dense Adam/AdamW, sparse row Adam/Adagrad, learning-rate schedule,
# gradient clipping. The math is in the backend's ops.
add_library(slatetrain_optimizers STATIC
  ${CMAKE_CURRENT_LIST_DIR}/optimizer_adam.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimizer_sparse_rows.cpp
  ${CMAKE_CURRENT_LIST_DIR}/learning_rate_schedule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gradient_clipping.cpp
)
target_link_libraries(slatetrain_optimizers PUBLIC slatetrain_core)
