# slatetrain_models: layers (forward/backward through the Backend), losses, the batch view the
# models read (ModelInputs) and the GRU slate model.
add_library(slatetrain_models STATIC
  ${CMAKE_CURRENT_LIST_DIR}/batch_ids.cpp
  ${CMAKE_CURRENT_LIST_DIR}/model_inputs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parameter_buffer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/linear.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gru.cpp
  ${CMAKE_CURRENT_LIST_DIR}/interaction_type_embedding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gru_slate_model.cpp
)
target_link_libraries(slatetrain_models PUBLIC slatetrain_core)
