# slateconvert sessions through its command line (tests/convert_sessions_cli_test.sh).
if(TARGET slateconvert)
  foreach(case IN ITEMS help usage_errors round_trip bad_input existing_output)
    add_test(NAME ConvertSessionsCli.${case}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/convert_sessions_cli_test.sh ${case}
                     $<TARGET_FILE:slateconvert> ${CMAKE_CURRENT_BINARY_DIR}/convert_sessions_cli/${case})
    set_tests_properties(ConvertSessionsCli.${case} PROPERTIES LABELS "unit;sessions" TIMEOUT 120)
  endforeach()
endif()
