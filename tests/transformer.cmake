# The transformer: its op families on the CPU backend against plain loops and finite
# differences, its layers and encoder against finite differences and a PyTorch fixture
# (tests/fixtures/make_transformer_fixtures.py), the whole user model with the slate objective
# against PyTorch (make_transformer_model_fixtures.py), and the CUDA twins against the CPU.
slatetrain_add_test(NAME core_transformer_ops_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/core_transformer_ops_test.cpp
  LIBRARIES slatetrain_core
  LABELS unit transformer)
slatetrain_add_test(NAME models_transformer_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/layer_transformer_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/models_transformer_pytorch_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/models_transformer_model_pytorch_test.cpp
  LIBRARIES slatetrain_models slatetrain_split nlohmann_json::nlohmann_json
  LABELS unit transformer)
if(SLATETRAIN_CUDA)
  slatetrain_add_test(NAME cuda_transformer_tests
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cuda_transformer_test.cpp
    LIBRARIES slatetrain_models slatetrain_cuda_backend slatetrain_core
    LABELS gpu transformer)
endif()
