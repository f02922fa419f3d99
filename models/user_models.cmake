# User models (models/user_model.hpp) and the factory that maps model.kind to one.
target_sources(slatetrain_models PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/user_model_factory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gru_user_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transformer_user_model.cpp
)
