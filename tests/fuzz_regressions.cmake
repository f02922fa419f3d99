# The fuzz targets' findings replayed as unit tests (inputs in tests/fuzz/regressions/).
slatetrain_add_test(NAME fuzz_regression_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_regressions_test.cpp
  LIBRARIES slatetrain_npz slatetrain_checkpoint slatetrain_run_config
  LABELS unit)
target_compile_definitions(fuzz_regression_tests PRIVATE
  SLATETRAIN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
