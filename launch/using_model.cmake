# Using a trained model without a run directory (docs/USING_A_MODEL.md): loading a checkpoint's
# model, the source's names of items and users, `slatetrain recommend` and `slatetrain export`.
# Included after trainer.cmake (fragments are sorted), which makes the slatetrain executable.
target_sources(slatetrain PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/candidate_rescoring.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checkpoint_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dataset_names.cpp
  ${CMAKE_CURRENT_LIST_DIR}/history_input.cpp
  ${CMAKE_CURRENT_LIST_DIR}/history_vectors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/index_ranker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/recommend_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/export_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/model_export.cpp)
target_link_libraries(slatetrain PRIVATE slatetrain_output slatetrain_npz)
