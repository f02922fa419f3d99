# Objectives (models/objective.hpp) and the factory that maps objective.kind to one.
target_sources(slatetrain_models PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/objective_factory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/slate_objective.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sampled_softmax_objective.cpp
  ${CMAKE_CURRENT_LIST_DIR}/shared_negatives_loss.cpp
  ${CMAKE_CURRENT_LIST_DIR}/negative_sampler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mixed_objective.cpp
  ${CMAKE_CURRENT_LIST_DIR}/full_softmax_objective.cpp
)
