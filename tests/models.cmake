# models/: layers against finite differences, the GRU slate model against PyTorch fixtures,
# the model's batch view (dedup, targets, masks).
slatetrain_add_test(NAME models_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/layer_linear_embedding_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/layer_gru_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/layer_slate_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/models_batch_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/models_user_model_gradient_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/models_gru_pytorch_test.cpp
  LIBRARIES slatetrain_models slatetrain_split nlohmann_json::nlohmann_json
  LABELS unit)
