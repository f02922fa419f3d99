# slatetrain_models: layers (forward/backward through the Backend), the model's view of a batch
# (models/model_batch.hpp) and the RecommenderModel; user models and objectives add their
# sources in their own fragments (user_models.cmake, objectives.cmake).
add_library(slatetrain_models STATIC
  ${CMAKE_CURRENT_LIST_DIR}/batch_ids.cpp
  ${CMAKE_CURRENT_LIST_DIR}/row_requests.cpp
  ${CMAKE_CURRENT_LIST_DIR}/model_batch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parameter_buffer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/linear.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gru.cpp
  ${CMAKE_CURRENT_LIST_DIR}/interaction_type_embedding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/recommender_model.cpp
)
target_link_libraries(slatetrain_models PUBLIC slatetrain_core)
