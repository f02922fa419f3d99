# The NPZ/NPY reader and writer against NumPy-written fixtures (tests/fixtures/npy).
slatetrain_add_test(NAME npz_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/npz_reader_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/npz_writer_test.cpp
  LIBRARIES slatetrain_npz nlohmann_json::nlohmann_json
  LABELS unit)
