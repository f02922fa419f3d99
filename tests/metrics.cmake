slatetrain_add_test(NAME ranking_metrics_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ranking_metrics_test.cpp
  LIBRARIES slatetrain_metrics
  LABELS unit)
