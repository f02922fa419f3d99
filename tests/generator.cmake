# The generator (slateconvert synth): format, id conventions and anomalies, published statistics
# and the planted truth in the data, truth.json against an independent replay, determinism,
# output handling and option errors (library and command line), the pinned bytes of the written
# data, and truth.json's oracle against exact click probabilities on a tiny world.
slatetrain_add_test(NAME generator_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/generator_test_support.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/generator_format_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/generator_statistics_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/generator_truth_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/generator_determinism_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/generator_options_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/generator_byte_identity_test.cpp
          ${CMAKE_CURRENT_SOURCE_DIR}/generator_oracle_test.cpp
  LIBRARIES slatetrain_generator slatetrain_convert slatetrain_metrics
            nlohmann_json::nlohmann_json
  LABELS unit generator)
# The command-line cases run the built slateconvert.
if(TARGET slateconvert)
  target_compile_definitions(generator_tests PRIVATE
    SLATECONVERT_PATH="$<TARGET_FILE:slateconvert>")
  add_dependencies(generator_tests slateconvert)
endif()
