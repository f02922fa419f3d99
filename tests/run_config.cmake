slatetrain_add_test(NAME run_config_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/run_config_test.cpp
  LIBRARIES slatetrain_run_config
  LABELS unit)
