# slateconvert through its command line (tests/convert_cli_test.sh): each case is a CTest test
# working in its own directory under the build tree.
if(TARGET slateconvert)
  foreach(case IN ITEMS help usage_errors round_trip missing_input truncated_npz existing_output
                        strict_anomalies)
    add_test(NAME ConvertCli.${case}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/convert_cli_test.sh ${case}
                     $<TARGET_FILE:slateconvert> ${CMAKE_CURRENT_BINARY_DIR}/convert_cli/${case})
    set_tests_properties(ConvertCli.${case} PROPERTIES LABELS unit TIMEOUT 60)
  endforeach()
endif()
