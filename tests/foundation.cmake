# The shared basics: errors, progress, random numbers, the split.
slatetrain_add_test(NAME foundation_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/foundation_test.cpp
  LIBRARIES slatetrain_split slatetrain_core
  LABELS unit)
