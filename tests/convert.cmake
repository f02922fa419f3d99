# The converter: finn -> shards -> verify round trips, the split, anomalies, bad input.
slatetrain_add_test(NAME convert_finn_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/convert_finn_test.cpp
  LIBRARIES slatetrain_convert
  LABELS unit)
