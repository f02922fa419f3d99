slatetrain_add_test(NAME checkpoint_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/checkpoint_file_test.cpp
  LIBRARIES slatetrain_checkpoint
  LABELS unit)
