# OutputDirectory in-process: its own names, the check at commit, resolved inputs.
slatetrain_add_test(NAME output_directory_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/output_directory_test.cpp
  LIBRARIES slatetrain_output
  LABELS unit)
