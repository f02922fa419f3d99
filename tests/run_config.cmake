slatetrain_add_test(NAME run_config_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/run_config_test.cpp
  LIBRARIES slatetrain_run_config
  LABELS unit)

slatetrain_add_test(NAME run_config_ranges_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/run_config_ranges_test.cpp
  LIBRARIES slatetrain_run_config
  LABELS unit)

slatetrain_add_test(NAME run_config_reference_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/run_config_reference_test.cpp
  LIBRARIES slatetrain_run_config
  LABELS unit)
target_compile_definitions(run_config_reference_tests PRIVATE
  SLATETRAIN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
